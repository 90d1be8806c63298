"""One-off experiments and measurements: GAP vs FC heads, the CAM figure, the shortcut study, speed and memory."""
