"""The page a browser gets instead of a JSON 401/403 when it opens a page without the right session."""

from __future__ import annotations

import html
from urllib.parse import quote


def render_signin_needed(
    *, status: int, detail: str, next_path: str, product: str, static_base: str = "/static"
) -> str:
    """An HTML page that says why the page did not open and where to sign in.

    Parameters
    ----------
    status : int
        401 (no or a bad session: offers the sign-in, then comes back) or
        403 (signed in, but the role may not open the page).
    detail : str
        The problem's detail, shown as is (escaped).
    next_path : str
        The page asked for; the sign-in page returns there.

    >>> "/?next=%2Fmaps%2Fcoverage" in render_signin_needed(
    ...     status=401, detail="x", next_path="/maps/coverage", product="T")
    True
    """
    base = html.escape(static_base.rstrip("/"), quote=True)
    name = html.escape(product)
    if status == 401:
        heading = "Sign in to open this page"
        action = f'<a class="button" href="/?next={quote(next_path, safe="")}">Sign in</a>'
    else:
        heading = "Your role may not open this page"
        action = '<a class="button" href="/">Back to the start page</a>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(heading)} · {name}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{base}/home/home.css">
</head>
<body>
<header class="top"><h1>{name}</h1></header>
<main>
<section class="card">
  <h2>{html.escape(heading)}</h2>
  <p>{html.escape(detail)}</p>
  <p>{action}</p>
</section>
</main>
</body>
</html>
"""
