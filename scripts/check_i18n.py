"""Check that each add-on's committed i18n/ files agree with the terms Odoo exports.

    python3 scripts/check_i18n.py --db DB [--addons-path PATH] [--write] [ADDON ...]

For every add-on of the repository that has an ``i18n/`` folder (or the ADDON names
given), on a database where it is installed (the demo data's terms are exported too, so
use a database installed with demo data):

* exports the module's current terms with Odoo's own exporter
  (``odoo.tools.translate.trans_export``, what Settings > Translations > Export and
  ``odoo --i18n-export`` run), as a ``.pot`` template;
* compares its msgids with the committed ``<addon>/i18n/<addon>.pot``: a term missing
  from the committed template, or one it still has that the code no longer has, fails;
* checks every ``<addon>/i18n/<lang>.po``: each exported msgid must have a non-empty,
  non-fuzzy translation whose ``%(name)s`` / ``%s`` placeholders are those of the
  msgid; an entry whose msgid is no longer exported fails too.

Exit code 0 when everything agrees, 1 listing every difference, 2 on a setup error
(database missing, add-on not installed...).

``--write`` regenerates the files instead of checking them: the ``.pot`` is rewritten
from the export, and each ``.po`` is merged with it like ``msgmerge`` would do:
existing translations kept, new terms added untranslated, obsolete entries dropped,
references and comments taken from the export.  Then run the check to see what is
left to translate.
"""

import argparse
import ast
import io
import logging
import os
import re
import sys

import polib

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# printf-style placeholders Odoo's _() formats: %(name)s, %s, %d... ("%%" is a literal)
PLACEHOLDER_RE = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx%]")


def repo_addons_with_i18n():
    names = []
    for name in sorted(os.listdir(REPO_ROOT)):
        manifest = os.path.join(REPO_ROOT, name, "__manifest__.py")
        if not os.path.isfile(manifest):
            continue
        with open(manifest, encoding="utf-8") as f:
            if not ast.literal_eval(f.read()).get("installable", True):
                continue
        if os.path.isdir(os.path.join(REPO_ROOT, name, "i18n")):
            names.append(name)
    return names


def placeholders(text):
    return sorted(p for p in PLACEHOLDER_RE.findall(text) if p != "%%")


def msgids(po):
    """The msgids of a parsed .po/.pot, header and obsolete (#~) entries left out."""
    return {entry.msgid: entry for entry in po if entry.msgid and not entry.obsolete}


class ExtractionErrors(logging.Handler):
    """Errors Odoo's exporter logs and goes on after (a source file whose terms
    could not be extracted): its terms would silently vanish from the .pot."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def export_pot(env, addon):
    """The .pot Odoo exports for ADDON now, as text; fails on extraction errors."""
    from odoo.tools.translate import trans_export

    errors = ExtractionErrors()
    logger = logging.getLogger("odoo.tools.translate")
    logger.addHandler(errors)
    try:
        with io.BytesIO() as buf:
            trans_export(None, [addon], buf, "po", env.cr)
            text = buf.getvalue().decode("utf-8")
    finally:
        logger.removeHandler(errors)
    if errors.messages:
        raise SystemExit(
            f"check_i18n: {addon}: the export could not read every term:\n  "
            + "\n  ".join(errors.messages)
        )
    return text


def short(msgid, width=100):
    text = msgid.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 3] + "..."


def check_addon(addon, pot_text):
    """Return the list of problems of ADDON's i18n/ folder against the export."""
    problems = []

    def problem(path, what, msgid):
        problems.append(f"{os.path.relpath(path, REPO_ROOT)}: {what}: {short(msgid)!r}")

    exported = msgids(polib.pofile(pot_text))
    i18n_dir = os.path.join(REPO_ROOT, addon, "i18n")
    pot_path = os.path.join(i18n_dir, f"{addon}.pot")
    if not os.path.isfile(pot_path):
        rel_pot = os.path.relpath(pot_path, REPO_ROOT)
        problems.append(f"{rel_pot}: missing (the export has {len(exported)} terms)")
    else:
        committed = msgids(polib.pofile(pot_path))
        for msgid in sorted(set(exported) - set(committed)):
            problem(pot_path, "missing term", msgid)
        for msgid in sorted(set(committed) - set(exported)):
            problem(pot_path, "obsolete term (no longer exported)", msgid)

    po_paths = sorted(
        os.path.join(i18n_dir, f) for f in os.listdir(i18n_dir) if f.endswith(".po")
    )
    if not po_paths:
        rel_dir = os.path.relpath(i18n_dir, REPO_ROOT)
        problems.append(f"{rel_dir}: no .po translation file")
    for po_path in po_paths:
        po = msgids(polib.pofile(po_path))
        for msgid in sorted(exported):
            entry = po.get(msgid)
            if entry is None:
                problem(po_path, "untranslated (no entry)", msgid)
            elif "fuzzy" in entry.flags:
                problem(po_path, "fuzzy translation", msgid)
            elif not entry.msgstr.strip():
                problem(po_path, "untranslated (empty msgstr)", msgid)
            elif placeholders(entry.msgstr) != placeholders(msgid):
                what = f"placeholders {placeholders(entry.msgstr)} in the translation"
                problem(po_path, f"{what}, {placeholders(msgid)} in the term", msgid)
        for msgid in sorted(set(po) - set(exported)):
            problem(po_path, "obsolete entry (no longer exported)", msgid)
    return problems, len(exported)


def merge_po(po_path, pot):
    """Merge the exported template POT into the .po at PO_PATH (like msgmerge)."""
    old = polib.pofile(po_path)
    old_entries = msgids(old)
    new = polib.POFile(wrapwidth=old.wrapwidth)
    new.header = old.header
    new.metadata = dict(old.metadata)
    if "POT-Creation-Date" in pot.metadata:
        new.metadata["POT-Creation-Date"] = pot.metadata["POT-Creation-Date"]
    kept = added = 0
    for entry in pot:
        if not entry.msgid or entry.obsolete:
            continue
        merged = polib.POEntry(
            msgid=entry.msgid,
            msgstr="",
            comment=entry.comment,
            tcomment=entry.tcomment,
            occurrences=list(entry.occurrences),
            flags=[f for f in entry.flags if f != "fuzzy"],
        )
        previous = old_entries.get(entry.msgid)
        if previous is not None and previous.msgstr:
            merged.msgstr = previous.msgstr
            if "fuzzy" in previous.flags:
                merged.flags.append("fuzzy")
            kept += 1
        else:
            added += 1
        new.append(merged)
    dropped = len(set(old_entries) - {e.msgid for e in pot if e.msgid})
    new.save(po_path)
    return kept, added, dropped


def write_addon(addon, pot_text):
    i18n_dir = os.path.join(REPO_ROOT, addon, "i18n")
    pot_path = os.path.join(i18n_dir, f"{addon}.pot")
    with open(pot_path, "w", encoding="utf-8") as f:
        f.write(pot_text)
    pot = polib.pofile(pot_text)
    print(f"  wrote {os.path.relpath(pot_path, REPO_ROOT)} ({len(msgids(pot))} terms)")
    for po_name in sorted(f for f in os.listdir(i18n_dir) if f.endswith(".po")):
        po_path = os.path.join(i18n_dir, po_name)
        kept, added, dropped = merge_po(po_path, pot)
        print(
            f"  merged {os.path.relpath(po_path, REPO_ROOT)}: {kept} translations kept,"
            f" {added} new terms to translate, {dropped} obsolete entries dropped"
        )


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument(
        "addons", nargs="*", help="add-ons (default: every add-on with i18n/)"
    )
    parser.add_argument("--db", required=True, help="database, add-ons installed")
    parser.add_argument(
        "--addons-path",
        default=os.environ.get("ADDONS_PATH"),
        help="Odoo addons path (default: $ADDONS_PATH, else Odoo's and this repo)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="rewrite the .pot and merge it into the .po files",
    )
    args = parser.parse_args()

    import odoo
    from odoo import api

    addons_path = args.addons_path
    if not addons_path:
        odoo_addons = os.path.join(os.path.dirname(odoo.__file__), "addons")
        addons_path = f"{odoo_addons},{REPO_ROOT}"
    odoo.tools.config.parse_config(
        ["-d", args.db, f"--addons-path={addons_path}", "--log-level=warn"]
    )
    addons = args.addons or repo_addons_with_i18n()
    if not addons:
        print("check_i18n: no add-on with an i18n/ folder", file=sys.stderr)
        return 2
    for addon in addons:
        if not os.path.isdir(os.path.join(REPO_ROOT, addon, "i18n")):
            print(f"check_i18n: {addon}/i18n/ not found", file=sys.stderr)
            return 2
    if not odoo.service.db.exp_db_exist(args.db):
        print(f"check_i18n: database {args.db!r} does not exist", file=sys.stderr)
        return 2

    registry = odoo.modules.registry.Registry(args.db)
    exports = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        states = dict(
            env["ir.module.module"]
            .search([("name", "in", addons)])
            .mapped(lambda m: (m.name, m.state))
        )
        not_installed = [a for a in addons if states.get(a) != "installed"]
        if not_installed:
            print(
                f"check_i18n: not installed in {args.db}: {', '.join(not_installed)}",
                file=sys.stderr,
            )
            return 2
        for addon in addons:
            exports[addon] = export_pot(env, addon)

    if args.write:
        for addon in addons:
            print(f"{addon}:")
            write_addon(addon, exports[addon])
        return 0

    failed = False
    for addon in addons:
        problems, count = check_addon(addon, exports[addon])
        if problems:
            failed = True
            print(f"{addon}: {count} terms exported, {len(problems)} problems:")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"{addon}: OK ({count} terms, .pot and every .po up to date)")
    if failed:
        print(
            "\ni18n check FAILED. To regenerate the files from the code, on a database"
            " with the add-ons installed with demo data (./scripts/test.sh keeps its"
            " pd_test_demo_<pid> with KEEP_DB=1), run\n"
            "  python3 scripts/check_i18n.py --db <database> --write\n"
            "then translate the new terms in each i18n/<lang>.po and check again."
        )
        return 1
    print("i18n check: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
