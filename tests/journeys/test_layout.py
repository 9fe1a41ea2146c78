"""Every page fits a phone and a desktop in every language: with the demo's data, each GET page
at 375 px and at 1280 px, in Tajik, Russian and English, is no wider than the window, and no
running text breaks words in the middle (``word-break: break-all`` or ``overflow-wrap:
anywhere``); hashes, codes and references may break anywhere."""

from __future__ import annotations

import pytest

from tests.conftest import login_as
from tests.pages import demo_pages, load_demo

VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}
LANGS = ("tg", "ru", "en")
# pages that show staff more than the public (the reviews of a project): seen by both
INSIDER_PAGES = {"proposals.project_detail"}

# What the page measures: its width against the window's, and running text set to break words.
MEASURE = """() => {
  const wide = document.documentElement.scrollWidth > window.innerWidth + 1;
  const broken = [];
  const exempt = "code, pre, kbd, samp, .hash, [data-checkpoint], input, textarea, select";
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(exempt)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && /[^\\s\\d.,:;—–-]{4,}/.test(n.textContent));
    if (!own) continue;
    const s = getComputedStyle(el);
    if (s.wordBreak === "break-all" || s.overflowWrap === "anywhere") {
      broken.push(el.tagName.toLowerCase() + "." + [...el.classList].join("."));
    }
  }
  let widest = "";
  if (wide) {
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 1 && !el.closest(".table-wrap")) {
        widest = el.tagName.toLowerCase() + "." + [...el.classList].join(".") + " " + Math.round(r.right);
        break;
      }
    }
  }
  const width = document.documentElement.scrollWidth;
  return {wide, width, broken: [...new Set(broken)].slice(0, 5), widest};
}"""


def _visitor(app, role: str):
    """The session cookie of the demo person with ``role`` (none for a visitor)."""
    from sqlalchemy import select

    from fundapp.accounts.demo import demo_email
    from fundapp.accounts.models import User
    from fundapp.extensions import db

    if role == "anonymous":
        return None
    user = db.session.scalar(select(User).where(User.email == demo_email(role)))
    c = app.test_client()
    login_as(c, user)
    c.get("/")
    cookie = c.get_cookie("session")
    return cookie.value if cookie else None


# the live server may still be sending a static file when the next page is asked for
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_page_fits_the_window_in_every_language(app, live_server, browser, viewport):
    """At this width, in tg, ru and en, is any page (seen by the least privileged person who may
    see it) wider than the window, or does any running text break words in the middle?"""
    from fundapp.extensions import db

    load_demo(app)
    pages = demo_pages(app)
    visits = [(p, p.roles[0]) for p in pages]
    visits += [
        (p, "administrator") for p in pages if p.endpoint in INSIDER_PAGES and p.roles[0] != "administrator"
    ]
    cookies = {role: _visitor(app, role) for role in {role for _, role in visits}}
    db.session.commit()
    db.session.remove()
    contexts = {}
    problems = []
    seen = 0
    try:
        for page, role in visits:
            if role not in contexts:
                ctx = browser.new_context(viewport=VIEWPORTS[viewport], is_mobile=viewport == "phone")
                if cookies[role]:
                    ctx.add_cookies([{"name": "session", "value": cookies[role], "url": live_server}])
                contexts[role] = (ctx, ctx.new_page())
            _, tab = contexts[role]
            for lang in LANGS:
                sep = "&" if "?" in page.url else "?"
                response = tab.goto(f"{live_server}{page.url}{sep}lang={lang}", wait_until="domcontentloaded")
                if (
                    response is None
                    or response.status != 200
                    or "text/html" not in response.headers.get("content-type", "")
                ):
                    continue
                seen += 1
                m = tab.evaluate(MEASURE)
                if m["wide"] or m["broken"]:
                    where = f"{role} {lang} {page.url}"
                    problems.append(f"{where}: width {m['width']} {m['widest']} {m['broken']}")
    finally:
        for ctx, _ in contexts.values():
            ctx.close()
    assert seen > 100
    assert not problems, "\n".join(problems)
