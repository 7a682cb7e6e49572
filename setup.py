"""Package mapping for the design card's layout.

core/            -> import package ``kedge``
plugins/builtin/ -> import package ``kedge.builtin``
lua/             -> import package ``kedge.lualib`` (Lua scripts and their tests, found with importlib.resources)
"""

from setuptools import find_packages, setup


def mapped(root: str, prefix: str) -> list[str]:
    return [prefix] + [f"{prefix}.{p}" for p in find_packages(root)]


setup(
    packages=mapped("core", "kedge") + mapped("plugins/builtin", "kedge.builtin") + ["kedge.lualib"],
    package_dir={"kedge": "core", "kedge.builtin": "plugins/builtin", "kedge.lualib": "lua"},
    package_data={
        "kedge.lualib": ["**/*.lua", "**/*.yaml", "**/*.yml", "**/*.json"],
        "kedge": [
            "**/*.yaml",
            "**/*.json",
            "**/*.html",
            "**/*.js",
            "**/*.css",
            "**/*.svg",
            "**/*.csv",
            "**/*.conf",
        ],
        "kedge.builtin": ["**/*.yaml", "**/*.json", "**/*.lua"],
        "kedge.server.ui": ["static/vendor/*.txt"],  # licences of the vendored JS libraries
    },
)
