"""``flask i18n extract|compile|check``: per-domain message catalogs.

A domain's strings come from ``fundapp/<domain>/**.py`` and ``templates/<domain>/**.html``;
the layout's (``templates/*.html``, ``templates/errors/``, ``templates/macros/``) belong to ``core``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from flask import current_app
from flask.cli import AppGroup

from fundapp.core.i18n import PACKAGE_DIR

ROOT = PACKAGE_DIR.parent
TEMPLATES = ROOT / "templates"
CORE_TEMPLATE_DIRS = ("errors", "macros", "core")
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "_n": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}

i18n_cli = AppGroup("i18n", help="Extract, compile and check the message catalogs.")


def domains() -> list[str]:
    return sorted(
        p.name
        for p in PACKAGE_DIR.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and not p.name.startswith("_")
    )


def _sources(domain: str) -> list[tuple[Path, str]]:
    files: list[tuple[Path, str]] = []
    pkg = PACKAGE_DIR / domain
    files += [(p, "python") for p in sorted(pkg.rglob("*.py"))]
    tdirs = [TEMPLATES / domain]
    if domain == "core":
        tdirs += [TEMPLATES / d for d in CORE_TEMPLATE_DIRS if d != "core"]
        files += [(p, "jinja2") for p in sorted(TEMPLATES.glob("*.html"))]
    for tdir in tdirs:
        if tdir.is_dir():
            files += [(p, "jinja2") for p in sorted(tdir.rglob("*.html"))]
            files += [(p, "jinja2") for p in sorted(tdir.rglob("*.txt"))]
    return files


def extract_catalog(domain: str) -> Catalog:
    catalog = Catalog(project="fundapp", charset="utf-8")
    for path, method in _sources(domain):
        options = {"extensions": "jinja2.ext.do"} if method == "jinja2" else {}
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options, strip_comment_tags=True
        ):
            catalog.add(
                message,
                None,
                [(str(path.relative_to(ROOT)), lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def _po_path(domain: str, lang: str) -> Path:
    return PACKAGE_DIR / domain / "translations" / lang / "LC_MESSAGES" / "messages.po"


def update_catalogs(domain: str, langs) -> dict[str, int]:
    """Write ``messages.pot`` and merge it into each language's ``messages.po``; return the
    number of untranslated entries per language."""
    template = extract_catalog(domain)
    if not len(template):
        return {}
    tdir = PACKAGE_DIR / domain / "translations"
    tdir.mkdir(parents=True, exist_ok=True)
    with open(tdir / "messages.pot", "wb") as fh:
        write_po(fh, template, omit_header=False, sort_output=True, width=0)
    missing = {}
    for lang in langs:
        po = _po_path(domain, lang)
        po.parent.mkdir(parents=True, exist_ok=True)
        if po.exists():
            with open(po, "rb") as fh:
                catalog = read_po(fh, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="fundapp", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if lang == "en":  # the source language: its translation is the message itself
            for msg in catalog:
                if msg.id and not _translated(msg):
                    msg.string = msg.id
        with open(po, "wb") as fh:
            write_po(fh, catalog, sort_output=True, width=0, ignore_obsolete=True)
        missing[lang] = sum(1 for m in catalog if m.id and not _translated(m))
    return missing


def _translated(msg) -> bool:
    if msg.fuzzy and msg.id:
        return False
    if isinstance(msg.string, (list, tuple)):
        return all(s for s in msg.string)
    return bool(msg.string)


def missing_translations(langs) -> list[str]:
    """Every (domain, language, message) that a user could see untranslated."""
    problems = []
    for domain in domains():
        template = extract_catalog(domain)
        if not len(template):
            continue
        for lang in langs:
            po = _po_path(domain, lang)
            if not po.exists():
                problems.append(f"{domain}/{lang}: no catalog")
                continue
            with open(po, "rb") as fh:
                catalog = read_po(fh, locale=lang)
            for msg in template:
                if not msg.id:
                    continue
                have = catalog.get(msg.id, context=msg.context)
                if have is None or not _translated(have):
                    key = msg.id if isinstance(msg.id, str) else msg.id[0]
                    problems.append(f"{domain}/{lang}: {key!r}")
    return problems


def conflicting_translations(langs) -> list[str]:
    """Messages that two domains translate differently. The catalogs are merged into one at run
    time (a later directory's entry replaces an earlier one's), so only one of the translations is
    ever shown: give them one wording, or a context (``pgettext``) where the meaning differs."""
    problems = []
    for lang in langs:
        if lang == "en":
            continue
        seen: dict[tuple, dict[str, str]] = {}
        for domain in domains():
            po = _po_path(domain, lang)
            if not po.exists():
                continue
            with open(po, "rb") as fh:
                catalog = read_po(fh, locale=lang)
            for msg in catalog:
                if msg.id and _translated(msg):
                    key = (msg.id if isinstance(msg.id, str) else msg.id[0], msg.context or "")
                    seen.setdefault(key, {})[domain] = str(msg.string)
        for (key, ctx), per_domain in sorted(seen.items()):
            if len(set(per_domain.values())) > 1:
                wordings = "; ".join(f"{d}: {t!r}" for d, t in sorted(per_domain.items()))
                where = f" (context {ctx!r})" if ctx else ""
                problems.append(f"{lang}: {key!r}{where} → {wordings}")
    return problems


def compile_catalogs(langs) -> int:
    count = 0
    for domain in domains():
        for lang in langs:
            po = _po_path(domain, lang)
            if not po.exists():
                continue
            with open(po, "rb") as fh:
                catalog = read_po(fh, locale=lang)
            with open(po.with_suffix(".mo"), "wb") as fh:
                write_mo(fh, catalog, use_fuzzy=False)
            count += 1
    return count


@i18n_cli.command("extract")
@click.argument("domain", required=False)
def extract_command(domain):
    """Refresh messages.pot and the .po files of one domain (or all)."""
    langs = current_app.config["LANGUAGES"]
    for d in [domain] if domain else domains():
        missing = update_catalogs(d, langs)
        if missing:
            click.echo(f"{d}: untranslated {missing}")


@i18n_cli.command("compile")
def compile_command():
    """Compile every .po into .mo (part of setup)."""
    n = compile_catalogs(current_app.config["LANGUAGES"])
    click.echo(f"compiled {n} catalogs")


@i18n_cli.command("check")
def check_command():
    """Exit non-zero when any catalog misses a string, or when two domains translate the same
    message (and context) differently: the catalogs are merged, so one of them would be wrong."""
    langs = current_app.config["LANGUAGES"]
    clashes = conflicting_translations(langs)
    for p in clashes:
        click.echo(f"two domains translate this differently and only one is shown: {p}", err=True)
    if clashes:
        click.echo(
            f"{len(clashes)} clashing translations: give them one wording, or a context "
            '(pgettext("organisation", "Register")) where the meaning differs',
            err=True,
        )
    problems = missing_translations(langs)
    for p in problems:
        click.echo(p, err=True)
    if problems:
        click.echo(f"{len(problems)} untranslated messages", err=True)
    if clashes or problems:
        sys.exit(1)
    click.echo("all catalogs complete, no clashes")
