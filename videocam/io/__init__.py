"""Reading and writing: video files (PyAV), live sources (OpenCV), the window, the per-frame CSV,
part files that get their final name only when complete, and drawing."""
