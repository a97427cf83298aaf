"""hot_restart demo, fixed: what inventory.py looks like after the fix.

Run it with `just demo-live`. Order 1003 uses a coupon code that is not in
DISCOUNTS, so apply_discount raises KeyError and a debugger opens right there.
Fix apply_discount in this file (look up the rate with DISCOUNTS.get(coupon, 0.0)),
save, and type `c`: the function is reloaded from disk, re-run with the same
order, and the job carries on without starting over.
"""

import time

import hot_restart

DISCOUNTS = {"SPRING10": 0.10, "WELCOME5": 0.05}

ORDERS = [
    {"id": 1001, "item": "widget", "qty": 4, "unit_price": 2.50, "coupon": "SPRING10"},
    {"id": 1002, "item": "gadget", "qty": 1, "unit_price": 19.99, "coupon": None},
    {"id": 1003, "item": "gizmo", "qty": 2, "unit_price": 7.25, "coupon": "VIP2024"},
    {"id": 1004, "item": "doohickey", "qty": 10, "unit_price": 0.99, "coupon": "WELCOME5"},
    {"id": 1005, "item": "widget", "qty": 1, "unit_price": 2.50, "coupon": None},
]


def apply_discount(order):
    """Price of an order after its coupon, if any."""
    subtotal = order["qty"] * order["unit_price"]
    coupon = order["coupon"]
    if coupon is None:
        return subtotal
    rate = DISCOUNTS.get(coupon, 0.0)  # fixed: unknown coupon codes get no discount
    return round(subtotal * (1 - rate), 2)


def main():
    total = 0.0
    for n, order in enumerate(ORDERS, start=1):
        price = apply_discount(order)
        total += price
        what = f"{order['qty']} x {order['item']}"
        print(f"[{n}/{len(ORDERS)}] order {order['id']}: {what} = ${price:.2f}")
        time.sleep(0.2)  # pretend each order takes a while
    print(f"all {len(ORDERS)} orders processed, total ${total:.2f}")


hot_restart.wrap_module()
if __name__ == "__main__" and not hot_restart.is_restarting_module():
    main()
