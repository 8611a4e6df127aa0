"""The Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008), for plots and other front ends."""

from __future__ import annotations

__all__ = ["OKABE_ITO", "ORANGE", "SKY_BLUE", "BLUISH_GREEN", "YELLOW", "BLUE", "VERMILLION",
           "REDDISH_PURPLE", "BLACK"]

ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"

OKABE_ITO: tuple[str, ...] = (ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE, BLACK)
