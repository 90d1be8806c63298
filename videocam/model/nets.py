"""The networks: backbones (small, VGG16, keras.applications), GAP and FC heads, and the
input preprocessing each expects."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from videocam.errors import ModelError
from videocam.model._backend import keras
from videocam.model.info import ModelInfo

HEADS = ("gap", "fc4096", "fc1024", "fc512")
PREPROCESSING = ("rescale", "caffe", "tf", "torch", "none")
BN_MOMENTUM = 0.9  # Keras' 0.99 leaves inference-mode statistics far behind in short CPU runs
VGG16_NOTOP = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32) * 255.0
_TORCH_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32) * 255.0

# ----------------------------------------------------------------- builders

def _conv_bn(x, filters, kernel=3, stride=1, name=""):
    L = keras().layers
    x = L.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = L.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
    return L.ReLU(name=f"{name}_relu")(x)


def _sep_bn(x, filters, stride=1, name=""):
    L = keras().layers
    x = L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(x)
    x = L.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_dwbn")(x)
    x = L.ReLU(name=f"{name}_dwrelu")(x)
    x = L.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = L.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_pwbn")(x)
    return L.ReLU(name=f"{name}_pwrelu")(x)


def small_backbone(width: int = 32, input_shape=(None, None, 3), stride: int = 16):
    """A CPU-friendly all-conv backbone, output stride 16 (14x14 at 224) or 8 (28x28).

    Strided stem + batch norm so it starts learning quickly from scratch on a
    CPU; depthwise-separable blocks keep it far cheaper than VGG16. Stride 16
    is the default: measured on the debate benchmark, the sharper stride-8
    maps hug the face and the tie and box less of the person.
    """
    L = keras().layers
    inp = L.Input(shape=input_shape, name="image")
    x = _conv_bn(inp, width, 3, 2, "stem")                 # 112
    x = _sep_bn(x, width * 2, 2, "b1a")                     # 56
    x = _sep_bn(x, width * 2, 1, "b1b")
    x = _sep_bn(x, width * 4, 2, "b2a")                     # 28
    x = _sep_bn(x, width * 4, 1, "b2b")
    x = _sep_bn(x, width * 8, 2 if stride == 16 else 1, "b3a")  # 14 (stride 16) or 28
    x = _sep_bn(x, width * 8, 1, "b3b")
    x = _sep_bn(x, width * 8, 1, "b3c")
    return inp, x


def vgg16_backbone(weights=None, input_shape=(None, None, 3)):
    """VGG16 up to block5_conv3 (14x14x512 at 224; no pool5, no FC).

    `weights`: None, 'imagenet' (Keras' own download into its cache, checked by its file hash;
    offline, one error line saying which file goes where) or a file path.
    """
    from videocam.model.backbones import build_app
    base = build_app("VGG16", weights, input_shape)
    return base.input, base.get_layer("block5_conv3").output


APP_PREPROCESSING = {
    # keras.applications family -> its preprocess_input convention
    "vgg16": "caffe", "vgg19": "caffe", "resnet50": "caffe", "resnet101": "caffe", "resnet152": "caffe",
    "mobilenet": "tf", "mobilenet_v2": "tf", "mobilenetv2": "tf", "mobilenet_v3": "none",
    "xception": "tf", "inception_v3": "tf", "inceptionresnetv2": "tf", "nasnetmobile": "tf",
    "densenet121": "torch", "densenet169": "torch", "densenet201": "torch",
    "efficientnetb0": "none", "efficientnetv2b0": "none", "convnext": "none",
}


def app_backbone(name: str, weights=None):
    """Any `keras.applications` model without its top, as a backbone (ImageNet weights through
    Keras' own download and cache, see `videocam.model.backbones.build_app`)."""
    from videocam.model.backbones import build_app
    base = build_app(name, weights, (224, 224, 3))
    return base.input, base.output


def file_backbone(path, cam_layer: str | None = None):
    """A Keras model file as the backbone: (input, CAM-layer features, the layer's name)."""
    from videocam.model.backbones import load_backbone
    base, name = load_backbone(path, cam_layer)
    return base.inputs[0], base.get_layer(name).output, name


def _preprocessing_for(backbone: str) -> str:
    if backbone == "small":
        return "rescale"
    if str(backbone).endswith(".keras"):
        from videocam.model.backbones import DEFAULT_FILE_PREPROCESS
        return DEFAULT_FILE_PREPROCESS
    key = backbone.lower().replace("-", "_")
    for k, v in APP_PREPROCESSING.items():
        if key.replace("_", "") == k.replace("_", ""):
            return v
    return "tf"


def _free(name: str, taken: set) -> str:
    """`name`, or `name_1`, `name_2`, ... when a backbone file already has a layer of that name."""
    out, i = name, 0
    while out in taken:
        i += 1
        out = f"{name}_{i}"
    return out


def build_model(num_classes: int, backbone: str = "small", head: str = "gap", weights=None,
                width: int = 32, multi_label: bool = False, input_size=(224, 224), stride: int = 16,
                cam_layer: str | None = None, preprocessing: str | None = None):
    """Build a classifier; returns (keras_model, ModelInfo without classes filled).

    `backbone` is small, vgg16, a keras.applications name or a `.keras` file (cut at
    `cam_layer`, default its last 4-D output); `preprocessing` overrides the backbone's
    convention (for a file: torch unless given).
    """
    L = keras().layers
    if head not in HEADS:
        raise ModelError(f"unknown head {head!r}; use one of {', '.join(HEADS)}")
    fixed = head != "gap"  # Flatten + Dense needs a fixed spatial size
    shape = (int(input_size[0]), int(input_size[1]), 3) if fixed else (None, None, 3)
    if backbone == "small":
        if weights not in (None, "none"):
            raise ModelError("the small backbone has no pretrained weights; use --weights none")
        inp, feat = small_backbone(width, shape, stride)
    elif backbone == "vgg16":
        inp, feat = vgg16_backbone(weights, shape)
    elif str(backbone).endswith(".keras"):
        if weights not in (None, "none"):
            raise ModelError("a .keras backbone brings its own weights; leave --weights out")
        inp, feat, _ = file_backbone(backbone, cam_layer)
    else:
        inp, feat = app_backbone(backbone, weights)
    activation = "sigmoid" if multi_label else "softmax"
    if head == "gap":
        if backbone in ("small", "vgg16"):
            # the paper's extra layer: 3x3 conv, 1024 filters (VGG), stride 1, pad 1, ReLU
            if backbone == "vgg16":
                feat = L.Conv2D(1024, 3, padding="same", activation="relu", name="cam_conv")(feat)
                cam_layer = "cam_conv"
            else:
                # 3x3 conv + BN + ReLU (without BN this layer's ReLUs died early in
                # from-scratch runs); depthwise-separable at stride 8 keeps the 28x28 map cheap
                if stride == 16:
                    feat = L.Conv2D(width * 8, 3, padding="same", use_bias=False, name="cam_conv_conv")(feat)
                else:
                    feat = L.DepthwiseConv2D(3, padding="same", use_bias=False, name="cam_conv_dw")(feat)
                    feat = L.BatchNormalization(momentum=BN_MOMENTUM, name="cam_conv_dwbn")(feat)
                    feat = L.ReLU(name="cam_conv_dwrelu")(feat)
                    feat = L.Conv2D(width * 8, 1, use_bias=False, name="cam_conv_conv")(feat)
                feat = L.BatchNormalization(momentum=BN_MOMENTUM, name="cam_conv_bn")(feat)
                feat = L.ReLU(name="cam_conv")(feat)
                cam_layer = "cam_conv"
        else:
            cam_layer = feat._keras_history.operation.name
        taken = {layer.name for layer in keras().Model(inp, feat).layers}
        x = L.GlobalAveragePooling2D(name=_free("gap", taken))(feat)
        out = L.Dense(num_classes, activation=activation, name=_free("predictions", taken))(x)
    else:
        units = int(head[2:])
        if backbone == "small":
            feat = L.Conv2D(width * 8, 3, padding="same", activation="relu", name="last_conv")(feat)
        cam_layer = feat._keras_history.operation.name
        x = L.MaxPooling2D(2, name="pool")(feat)
        x = L.Flatten(name="flatten")(x)
        x = L.Dense(units, activation="relu", name="fc1")(x)
        x = L.Dropout(0.5, name="drop1")(x)
        x = L.Dense(units, activation="relu", name="fc2")(x)
        x = L.Dropout(0.5, name="drop2")(x)
        out = L.Dense(num_classes, activation=activation, name="predictions")(x)
    tag = Path(str(backbone)).stem if str(backbone).endswith(".keras") else backbone
    model = keras().Model(inp, out, name=f"{tag}_{head}".replace("-", "_"))
    if inp.shape[1] is not None and inp.shape[2] is not None:  # a backbone file of one input size (its
        input_size, fixed = (int(inp.shape[1]), int(inp.shape[2])), True  # padding depends on it): that size
    info = ModelInfo(classes=[], input_size=tuple(input_size),
                     preprocessing=preprocessing or _preprocessing_for(backbone),
                     cam_layer=cam_layer, head=head, backbone=backbone, multi_label=multi_label,
                     fixed_input=fixed)
    return model, info


def vgg16_gap(num_classes: int, weights=None):
    """The paper's VGGnet-GAP as a flat Keras functional model."""
    model, _ = build_model(num_classes, backbone="vgg16", head="gap", weights=weights)
    return model


def small_gap(num_classes: int, width: int = 32):
    model, _ = build_model(num_classes, backbone="small", head="gap", width=width)
    return model


# ------------------------------------------------------------ preprocessing

def preprocess(x, mode: str):
    """Model-specific input scaling, applied to float32 RGB 0..255 (TF or numpy)."""
    if mode == "rescale":
        return x * (1.0 / 255.0)
    if mode == "tf":
        return x * (1.0 / 127.5) - 1.0
    if mode == "caffe":
        return x[..., ::-1] - _CAFFE_MEAN_BGR
    if mode == "torch":
        return (x - _TORCH_MEAN) / _TORCH_STD
    if mode == "none":
        return x
    raise ModelError(f"unknown preprocessing {mode!r}")


