"""What several workers share through Redis: the live hub across processes, and the limits."""
