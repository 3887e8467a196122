"""orgshare: shared customer and card pools for organizations with several payment accounts."""
