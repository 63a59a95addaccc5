"""Every page, link, webhook endpoint and API route answers at the path and under the name it always had.

`tests/url_map.txt` is the site's map as it stood before the apps were reshaped (one "path name" a line);
moving a view between modules must not change a line of it. A new route is added to the file on purpose.
"""

from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

MAP_FILE = Path(__file__).with_name("url_map.txt")


def _routes(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[str]:
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            routes += _routes(entry, prefix + str(entry.pattern), inner or "")
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name or ''}" if namespace else entry.name or ""
            routes.append(f"{prefix}{entry.pattern} {name}".rstrip())
    return routes


def test_every_route_keeps_its_path_and_name() -> None:
    expected = [line.rstrip() for line in MAP_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert sorted(_routes(get_resolver())) == sorted(expected)
