"""Drop inline <script> blocks that Sphinx 7 writes twice into every page.

Sphinx 7.4 adds an inline script (``app.add_js_file(None, body=...)``) that an
extension registers after the builder has started twice: once as filename
``None`` and once as ``''``, which do not compare equal (fixed upstream in
Sphinx 8.2, sphinx-doc/sphinx#13402). sphinx-thebe registers
``const THEBE_JS_URL = ...`` that way, so every page of the book threw
"SyntaxError: Identifier 'THEBE_JS_URL' has already been declared" in the
reader's browser. This extension removes the second copy from each page.
"""


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for script in scripts:
        key = (
            getattr(script, "filename", script) or "",
            tuple(sorted(getattr(script, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # in place: the builder restores its own list after each page


def setup(app):
    # Late (priority 900), after the extensions that add scripts to a page.
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
