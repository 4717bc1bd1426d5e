"""Demo books: a believable small company with two years of history (``newledger demo``)."""

from newledger.demo.loader import DEMO_PASSWORDS, DemoResult, estimate_lines, load_demo, scale_for

__all__ = ["DEMO_PASSWORDS", "DemoResult", "estimate_lines", "load_demo", "scale_for"]
