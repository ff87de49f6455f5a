"""The pages each role may open: the home page lists them, page headers link them."""

from __future__ import annotations

# Which pages each role may open; the script shows a link only when the
# signed-in role is listed. The order is the order on the page.
PAGE_LINKS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "/editor",
        "Territory editor",
        "Draw, split, merge and check territories.",
        ("admin", "manager"),
    ),
    ("/me", "My accounts", "Your book, its map and this month's travel load.", ("rep",)),
    (
        "/maps/coverage",
        "Coverage map",
        "Every territory, account, overlap and rep.",
        ("admin", "manager"),
    ),
    ("/dashboards", "Dashboards", "Goals, funnel and balance per territory.", ("admin", "manager")),
    (
        "/docs",
        "API documentation",
        "Every route, tried in the browser (Swagger UI).",
        ("admin", "manager", "rep"),
    ),
    (
        "/redoc",
        "API reference",
        "The same document as a readable reference (ReDoc).",
        ("admin", "manager", "rep"),
    ),
)
