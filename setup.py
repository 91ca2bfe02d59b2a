"""Only verify's hashing core in C is declared here (``app/audit/_leafhash.c``, used by
``app/audit/fast_verify.py``); everything else is in pyproject.toml. It is optional: on a
machine without a C compiler or OpenSSL's headers (Debian: gcc, libssl-dev) the package still
installs and ``verify`` gives the same answers from the Python code, slower."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("app.audit._leafhash", ["app/audit/_leafhash.c"],
                             libraries=["crypto"], optional=True)])
