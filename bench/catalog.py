"""The benchmark catalog, one formula for Odoo's side and mock-api's side.

Product ``n`` of a catalog of ``size`` products has external ID
``B<size>-<n>``, ``on_hand(n)`` units in Odoo, and ``api_quantity(size, n)``
units in the stock API: one product in ten differs, half of them up, half down.
"""


def external_id(size, n):
    return f"B{size}-{n:06d}"


def on_hand(n):
    return 10 + n % 40


def api_quantity(size, n):
    if n % 20 == 0:
        return on_hand(n) + 3
    if n % 20 == 10:
        return on_hand(n) - 3
    return on_hand(n)


def api_products(size):
    """``(external_id, quantity)`` of every product the stock API knows."""
    return [(external_id(size, n), api_quantity(size, n)) for n in range(size)]
