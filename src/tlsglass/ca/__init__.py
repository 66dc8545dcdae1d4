"""Certificates you can make: a throwaway in-memory CA now; the full local CA to come."""

from tlsglass.ca.throwaway import ThrowawayCA

__all__ = ["ThrowawayCA"]
