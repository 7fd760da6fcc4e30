from django import template

from ttms import money as money_

register = template.Library()


@register.filter
def money(amount, currency=None):
    """`{{ amount|money }}` or `{{ amount|money:"INR" }}`: minor units shown as "₹1,234.50"."""
    if amount is None or amount == "":
        return ""
    return money_.format_money(int(amount), currency or None)
