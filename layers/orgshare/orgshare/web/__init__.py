"""Pages orgshare serves itself (the checkout page): server-rendered HTML from templates beside
this package, enhanced by its own small scripts; no external CDN, a strict Content-Security-Policy."""
