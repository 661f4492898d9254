"""The detection pipeline: posts in, signals, cases and channel risk out (docs/detection.md)."""

from ronda.detection.pipeline.core import (
    FLOOD_MAX_MATCHES,
    FLOOD_WINDOW_SECONDS,
    BatchResult,
    Pipeline,
    PipelineConfig,
    PostOutcome,
)
from ronda.detection.pipeline.reader import (
    MAX_LINE_BYTES,
    BadLine,
    GoodLine,
    describe_errors,
    parse_post,
    read_posts,
)

__all__ = [
    "FLOOD_MAX_MATCHES",
    "FLOOD_WINDOW_SECONDS",
    "MAX_LINE_BYTES",
    "BadLine",
    "BatchResult",
    "GoodLine",
    "Pipeline",
    "PipelineConfig",
    "PostOutcome",
    "describe_errors",
    "parse_post",
    "read_posts",
]
