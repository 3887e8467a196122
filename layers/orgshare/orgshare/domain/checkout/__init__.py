"""Checkout: sessions, the page's payment of them, and their expiry."""
