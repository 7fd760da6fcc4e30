"""No binary floating point near money: model fields, and the code of the payments app."""

import ast
import re
from pathlib import Path

from django.apps import apps
from django.db import models

import payments

PAYMENTS_DIR = Path(payments.__file__).resolve().parent
MONEY_NAME = re.compile(r"amount|balance|total|price|fare|commission|earning")


def float_uses(source: str) -> list[str]:
    """Float literals, float() calls, Float/Decimal fields, and true division (/) of a
    money-named value, with their line numbers."""
    found = []

    def names(node):
        return [
            n.id if isinstance(n, ast.Name) else n.attr
            for n in ast.walk(node)
            if isinstance(n, ast.Name | ast.Attribute)
        ]

    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            found.append(f"{line}: float literal {node.value!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "float"
        ):
            found.append(f"{line}: float() call")
        elif isinstance(node, ast.Attribute | ast.Name) and (
            node.attr if isinstance(node, ast.Attribute) else node.id
        ) in ("FloatField", "DecimalField"):
            found.append(f"{line}: {ast.unparse(node)}")
        elif (
            isinstance(node, ast.BinOp | ast.AugAssign)
            and isinstance(node.op, ast.Div)
            and any(MONEY_NAME.search(name) for name in names(node))
        ):
            found.append(f"{line}: true division of money: {ast.unparse(node)}")
    return sorted(found, key=lambda problem: int(problem.split(":")[0]))


def test_the_scan_catches_each_kind_of_float():
    source = (
        "fee = 0.05\nx = float(y)\nf = models.FloatField()\nshare = amount / 3\n"
        "ok = amount // 3\nms = timeout_ms / 1000\n"
    )

    assert float_uses(source) == [
        "1: float literal 0.05",
        "2: float() call",
        "3: models.FloatField",
        "4: true division of money: amount / 3",
    ]


def test_payments_code_uses_no_float():
    problems = []
    for path in sorted(PAYMENTS_DIR.rglob("*.py")):
        parts = path.relative_to(PAYMENTS_DIR).parts
        if parts[0] in ("tests", "migrations"):
            continue
        problems += [f"{'/'.join(parts)}:{problem}" for problem in float_uses(path.read_text())]

    assert problems == []


def test_every_money_field_of_payments_models_is_a_big_integer():
    checked = []
    for model in apps.get_app_config("payments").get_models():
        for field in model._meta.concrete_fields:
            assert not isinstance(field, models.FloatField | models.DecimalField), field
            if MONEY_NAME.search(field.name):
                assert isinstance(field, models.BigIntegerField), field
                checked.append(f"{model.__name__}.{field.name}")

    assert checked == [
        "Account.balance",
        "Entry.amount",
        "Payment.amount",
        "SettlementRun.commission",
        "SettlementRun.payout_amount",
    ]
