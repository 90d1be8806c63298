"""Measuring: per-frame scores against truth, reports, still-image evaluation, stage ablation."""
