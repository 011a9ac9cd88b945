"""Reading Arena's contract (the protos in ``api/``) from its compiled descriptor set.

Tooling that derives things from the contract (the Envoy edge configuration, the
OpenAPI document, the contract tests) shares this one view of it.
"""

from arena.contract.descriptor_set import Contract, HttpBinding, Method, Service

__all__ = ["Contract", "HttpBinding", "Method", "Service"]
