"""Capture the Python environment of the interpreter that runs this file (standard library only).

nbtools runs this source in the *kernel's* interpreter (``python -c SOURCE [CACHE_DIR]``, through
the bootstrap of :mod:`nbtools.envsnap.kernel_capture`), which may not have nbtools installed,
and reads the JSON document it prints. So this module keeps to syntax Python 3.8 understands and
quotes its signatures' annotations (``from __future__ import annotations`` is an import).

It imports nothing the interpreter has not imported at start-up (``os``, ``sys``): any other
import, ``__future__`` or ``zlib`` included, searches ``sys.path``, whose first entry under
``-c`` is the working directory; listing a large one took longer than the rest of a cached
capture (docs/performance.md). Only reading a distribution's ``direct_url.json`` (no cache)
imports ``json``.

Distributions are read straight from the ``*.dist-info``/``*.egg-info`` metadata on ``sys.path``
(what ``importlib.metadata`` reads, without its import cost or a pip subprocess). The list is
cached in CACHE_DIR, keyed on the inode, size, modification and change times (nanoseconds) of
the path directories, of each metadata directory and of each one's METADATA (PKG-INFO) file:
installing, removing or upgrading anything changes that key, and so does editing METADATA in
place, which changes no directory.
"""

import os
import sys

#: Version of the document layout printed by :func:`main`.
SCHEMA = 1

#: Environment variables recorded by name (``*`` matches any run of characters).
ENV_ALLOWLIST = (
    "PYTHON*",
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "CONDA_DEFAULT_ENV",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TZ",
    "*_NUM_THREADS",
    "CUDA_VISIBLE_DEVICES",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_CONSTRAINT",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
)

#: Names containing one of these words never have their value recorded.
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY", "CREDENTIAL")
REDACTED = "<redacted>"

_METADATA_SUFFIXES = (".dist-info", ".egg-info")

#: JSON's two-character escapes; other characters outside printable ASCII become ``\\uXXXX``.
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name suggests its value is a secret."""
    upper = name.upper()
    return any(word in upper for word in SECRET_WORDS)


def safe_value(name: str, value: str) -> str:
    """``value`` fit to record: redacted for secret-looking names, URL credentials masked."""
    if is_secret_name(name):
        return REDACTED
    return masked_logins(value, "***@")


def masked_logins(text: str, mask: str, keep_shareable: bool = False) -> str:
    """``text`` with the login of each URL in it replaced by ``mask``; with ``keep_shareable``,
    a login that is no secret (:func:`is_shareable_login`) is kept. A login is read as
    :func:`nbtools.urls.without_login` reads it (which this script, run where nbtools may not
    be installed, cannot import): from ``scheme://`` to the last ``@`` before the first
    ``/``, ``?``, ``#`` or white space."""
    parts = text.split("://")
    for index in range(1, len(parts)):
        part = parts[index]
        end = len(part)
        for stop in "/?# \t\n":
            found = part.find(stop, 0, end)
            end = found if found != -1 else end
        login, at, host = part[:end].rpartition("@")
        if at and not (keep_shareable and is_shareable_login(login)):
            parts[index] = mask + host + part[end:]
    return "://".join(parts)


def is_shareable_login(login: str) -> bool:
    """Whether a URL's ``user[:password]`` is no secret, so that a direct URL keeps it (PEP
    610): environment variables only (``${USER}:${TOKEN}``, which pip fills in from the
    environment of the install), or git's well-known user (``ssh://git@host/repo``)."""
    user, colon, password = login.partition(":")
    return login == "git" or (_is_variable(user) and (not colon or _is_variable(password)))


def _is_variable(text: str) -> bool:
    """``${NAME}``, NAME being ASCII letters, digits, ``-`` and ``_``."""
    name = text[2:-1]
    return (
        text.startswith("${")
        and text.endswith("}")
        and bool(name)
        and all(char.isascii() and (char.isalnum() or char in "-_") for char in name)
    )


def shareable_url(url: str) -> str:
    """A direct URL (``direct_url.json``'s ``url``, a requirement's ``name @ URL``) without
    its login unless that is no secret (:func:`is_shareable_login`), as PEP 610 asks of
    installers (pip writes it so; another installer, or a file written by hand, may not)."""
    return masked_logins(url, "", keep_shareable=True)


def is_allowed_name(name: str) -> bool:
    """Whether ``name`` matches :data:`ENV_ALLOWLIST`."""
    for pattern in ENV_ALLOWLIST:
        if pattern.endswith("*") and name.startswith(pattern[:-1]):
            return True
        if pattern.startswith("*") and name.endswith(pattern[1:]):
            return True
        if name == pattern:
            return True
    return False


def allowed_environment(environ: "dict[str, str]") -> "dict[str, str]":
    """The allowlisted variables of ``environ``, with secrets redacted."""
    return {
        name: safe_value(name, value)
        for name, value in sorted(environ.items())
        if is_allowed_name(name)
    }


def canonical_name(name: str) -> str:
    """The PEP 503 normalized form of a distribution name."""
    return "-".join(
        part for part in name.lower().replace("_", "-").replace(".", "-").split("-") if part
    )


def _quote(text: str) -> str:
    """``text`` as a JSON string of printable ASCII, as ``json.dumps`` writes it."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    parts = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            parts.append(_ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            parts.append(char)
        elif code > 0xFFFF:  # a surrogate pair
            code -= 0x10000
            parts.append(f"\\u{0xD800 | code >> 10:04x}\\u{0xDC00 | code & 0x3FF:04x}")
        else:
            parts.append(f"\\u{code:04x}")
    return '"' + "".join(parts) + '"'


def dumps(value: object) -> str:
    """JSON text of dicts, lists, strings, numbers, booleans and None (no ``json`` import)."""
    if isinstance(value, str):
        return _quote(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_quote(str(k))}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(item) for item in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def path_entries(existing: bool = True) -> "list[str]":
    """Directories on ``sys.path`` that exist (or, ``existing`` false, that do not: a user
    site-packages nothing was installed into yet), minus the script's (or ``-c``'s) own first
    entry."""
    seen: list[str] = []
    for entry in sys.path if getattr(sys.flags, "safe_path", False) else sys.path[1:]:
        path = os.path.abspath(entry or ".")
        if path not in seen and os.path.isdir(path) == existing:
            seen.append(path)
    return seen


def absent_user_site() -> "list[str]":
    """The user's site-packages when it is enabled but does not exist yet: ``site`` puts it on
    ``sys.path`` only when it exists, so a ``pip install --user`` into it would go unnoticed.
    ``site`` was imported at start-up (``sys.modules``: no import); ``-S`` leaves it out."""
    site = sys.modules.get("site")
    if site is None or not getattr(site, "ENABLE_USER_SITE", False):
        return []
    path = os.path.abspath(site.getusersitepackages())
    return [] if os.path.isdir(path) else [path]


def _stat(path: str) -> "list[object]":
    """What any write to ``path`` changes: inode, size, modification and change times (in
    nanoseconds: an edit within the same second changes them too; the change time also moves
    when the modification time is set back, as ``cp -p`` does); ``[None]`` if it is gone."""
    try:
        found = os.stat(path)
    except OSError:
        return [None]
    return [found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns]


def metadata_file(path: str, is_dir: bool) -> str:
    """The file holding the ``Name`` and ``Version`` of the metadata at ``path`` (a
    directory, ``is_dir``, or an ``.egg-info`` file, which holds them itself)."""
    if not is_dir:
        return path
    return os.path.join(path, "METADATA" if path.endswith(".dist-info") else "PKG-INFO")


def metadata_dirs(entries: "list[str]") -> "tuple[list[list[object]], list[str]]":
    """The cache key: each entry's and metadata directory's name and :func:`_stat`, and that
    of the file of each one's name and version (edited in place, it changes no directory);
    and the metadata directories' paths, each entry's in the order its listing gives them,
    which is the order ``importlib.metadata`` finds them in."""
    key: list[list[object]] = []
    found: list[str] = []
    for entry in entries:
        stamps: list[object] = [entry, *_stat(entry)]
        if stamps[1] is None:
            raise FileNotFoundError(entry)
        with os.scandir(entry) as listing:
            items = [item for item in listing if item.name.endswith(_METADATA_SUFFIXES)]
        found += [item.path for item in items]
        for item in sorted(items, key=lambda item: item.name):
            stamps += [
                item.name,
                *_stat(item.path),
                *_stat(metadata_file(item.path, item.is_dir())),
            ]
        key.append(stamps)
    return key, found


def _read(path: str) -> "str | None":
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _headers(path: str) -> "dict[str, str]":
    """The ``Name``/``Version`` headers of a METADATA or PKG-INFO file (body not read)."""
    headers: dict[str, str] = {}
    with open(path, "rb") as handle:
        raw = b""
        while b"\n\n" not in raw:
            chunk = handle.read(8192)
            if not chunk:
                break
            raw += chunk
    for line in raw.split(b"\n\n", 1)[0].decode("utf-8").splitlines():
        name, sep, value = line.partition(":")
        if sep and name in ("Name", "Version") and name not in headers:
            headers[name] = value.strip()
    return headers


def _name_from_dir(path: str) -> "tuple[str, str | None]":
    stem = os.path.basename(path).rsplit(".", 1)[0]
    name, _, version = stem.partition("-")
    return name, (version.split("-")[0] or None)


def _top_level(path: str) -> "list[str]":
    """Importable top-level names: ``top_level.txt``, else inferred from ``RECORD``."""
    listed = _read(os.path.join(path, "top_level.txt"))
    if listed is not None:
        return sorted({line.strip() for line in listed.splitlines() if line.strip()})
    record = _read(os.path.join(path, "RECORD")) or ""
    names = set()
    for line in record.splitlines():
        first = line.split(",", 1)[0].strip('"')
        top, slash, _ = first.partition("/")
        if slash:
            if top not in ("..", "__pycache__") and not top.endswith((".dist-info", ".data")):
                names.add(top)
        elif top.endswith(".py"):
            names.add(top[:-3])
        elif top.endswith((".so", ".pyd")):
            names.add(top.split(".", 1)[0])
    return sorted(name for name in names if name.isidentifier())


def _wheel_tags(path: str) -> "list[str]":
    wheel = _read(os.path.join(path, "WHEEL")) or ""
    return [line[4:].strip() for line in wheel.splitlines() if line.startswith("Tag:")]


def read_distribution(path: str) -> "dict[str, object]":
    """One distribution's facts; broken metadata is recorded under ``broken``, never raised."""
    is_dir = os.path.isdir(path)
    metadata = metadata_file(path, is_dir)
    name, version = _name_from_dir(path)
    record: dict[str, object] = {"name": name, "version": version, "path": path}
    try:
        headers = _headers(metadata)
    except FileNotFoundError:
        record["broken"] = f"{os.path.basename(metadata)} is missing"
        return record
    except (OSError, UnicodeDecodeError) as exc:
        record["broken"] = f"{os.path.basename(metadata)} is unreadable: {exc}"
        return record
    missing = [field for field in ("Name", "Version") if not headers.get(field)]
    if missing:
        record["broken"] = f"{os.path.basename(metadata)} has no {' or '.join(missing)} field"
        return record
    record["name"], record["version"] = headers["Name"], headers["Version"]
    if not is_dir:
        return record
    import json

    try:
        installer = _read(os.path.join(path, "INSTALLER"))
        direct_url = _read(os.path.join(path, "direct_url.json"))
        record["installer"] = installer.strip() if installer else None
        found = json.loads(direct_url) if direct_url else None
        if isinstance(found, dict) and isinstance(found.get("url"), str):
            found["url"] = shareable_url(found["url"])  # never a secret in the cache either
        record["direct_url"] = found
        record["wheel_tags"] = _wheel_tags(path)
        record["top_level"] = _top_level(path)
    except (OSError, ValueError) as exc:
        record["broken"] = f"unreadable metadata file: {exc}"
    return record


def read_distributions(paths: "list[str]") -> "list[dict[str, object]]":
    """Every distribution, the first of each name winning as ``importlib.metadata`` finds
    it: in the first ``sys.path`` entry holding one and, when that entry holds several (an
    upgrade or removal interrupted leaves two), the first its listing gives (``paths`` come
    in that order). Those several are listed under the winner's ``duplicates``, its own
    first."""
    first: dict[str, dict[str, object]] = {}
    duplicates: dict[str, list[str]] = {}
    records = []
    for path in paths:
        record = read_distribution(path)
        key = canonical_name(str(record["name"]))
        winner = first.get(key)
        if winner is None:
            first[key] = record
            records.append(record)
        elif os.path.dirname(str(winner["path"])) == os.path.dirname(path):
            duplicates.setdefault(key, [str(winner["path"])]).append(path)
            winner["duplicates"] = duplicates[key]
    return records


def _conda_env() -> "str | None":
    if not os.path.isdir(os.path.join(sys.prefix, "conda-meta")):
        return None
    parent = os.path.basename(os.path.dirname(sys.prefix))
    return os.path.basename(sys.prefix) if parent == "envs" else "base"


def fnv1a(data: bytes) -> str:
    """A stable 32-bit hash of ``data`` (FNV-1a) in hex: names a cache file without ``zlib``."""
    value = 0x811C9DC5
    for byte in data:
        value = (value ^ byte) * 0x01000193 & 0xFFFFFFFF
    return f"{value:08x}"


def _cached(cache_file: str, key: str) -> "str | None":
    """The cached distributions' JSON text, if the cache was written for ``key``."""
    try:
        with open(cache_file, encoding="utf-8") as handle:
            if handle.readline() == key + "\n":
                return handle.readline().rstrip("\n") or None
    except (OSError, UnicodeDecodeError):
        pass
    return None


def _write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (captures may run at once)."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:  # a cache that cannot be written only costs speed next time
        try:  # noqa: SIM105 (contextlib: one more import for the capture's interpreter)
            os.remove(temporary)
        except OSError:
            pass


def _report(text: str) -> None:
    """Write the report to standard output whole, or end the process saying why it could
    not (a full disk): a short write through ``sys.stdout`` is not an error in Python."""
    data = memoryview(text.encode("ascii"))
    try:
        while data:
            data = data[os.write(1, data) :]
    except OSError as error:
        sys.stderr.write(f"cannot write the report: {error.strerror}\n")
        os._exit(1)


def distributions_json(entries: "list[str]", cache_dir: "str | None") -> "tuple[str, bool]":
    """The distributions as JSON text, and whether it came from the cache."""
    stamps, paths = metadata_dirs(entries)
    if not cache_dir:
        return dumps(read_distributions(paths)), False
    key = repr([SCHEMA, sys.executable, stamps])
    identity = "\0".join([sys.executable, *entries]).encode("utf-8", "surrogateescape")
    cache_file = os.path.join(cache_dir, f"env-{fnv1a(identity)}.json")
    text = _cached(cache_file, key)
    if text is not None:
        return text, True
    text = dumps(read_distributions(paths))
    _write(cache_file, f"{key}\n{text}\n".encode())
    return text, False


_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}  # platform.python_implementation()


def marker_environment(uname: "os.uname_result | None") -> "dict[str, str]":
    """This interpreter's PEP 508 marker environment (a file's markers are read with it), as
    ``packaging`` computes it, from ``os`` and ``sys`` alone (``platform`` is no start-up module)."""
    info = sys.implementation.version
    version = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    name = sys.implementation.name
    return {
        "implementation_name": name,
        "implementation_version": version,
        "os_name": os.name,
        "platform_machine": uname.machine if uname else "",
        "platform_release": uname.release if uname else "",
        "platform_system": uname.sysname if uname else "Windows",
        "platform_version": uname.version if uname else "",
        "python_full_version": sys.version.split()[0],
        "platform_python_implementation": _IMPLEMENTATIONS.get(name, name.capitalize()),
        "python_version": "{}.{}".format(*sys.version_info[:2]),
        "sys_platform": sys.platform,
    }


def capture(cache_dir: "str | None" = None) -> str:
    """The environment document as JSON: interpreter, platform, variables and distributions."""
    entries = path_entries()
    distributions, cached = distributions_json(entries, cache_dir)
    uname = os.uname() if hasattr(os, "uname") else None
    facts = {
        "schema": SCHEMA,
        "python": {
            "version": sys.version.split()[0],
            "implementation": sys.implementation.name,
            "executable": sys.executable,
            "prefix": sys.prefix,
            "base_prefix": sys.base_prefix,
            "markers": marker_environment(uname),
        },
        "platform": {
            "system": sys.platform,
            "machine": uname.machine if uname else os.environ.get("PROCESSOR_ARCHITECTURE", ""),
            "release": uname.release if uname else "",
        },
        "conda_env": _conda_env(),
        "environment": allowed_environment(dict(os.environ)),
        "paths": entries,
        "absent_paths": path_entries(existing=False) + absent_user_site(),
        "cached": cached,
    }
    return dumps(facts)[:-1] + f', "distributions": {distributions}}}'


if __name__ == "__main__":
    _report(capture(sys.argv[1] if len(sys.argv) > 1 else None) + "\n")
    code_file = globals().get("CODE_FILE")  # set by kernel_capture's bootstrap
    if code_file:  # compiled from source this time: the next capture loads this code instead
        import marshal  # built in: found without searching sys.path

        _write(code_file, marshal.dumps(sys._getframe().f_code))
    os._exit(0)  # not tearing the interpreter down: ≈ 3 ms a cached capture's caller waits for
