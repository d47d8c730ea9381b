"""The one spelling of a servicer method's context (its generic parameters add nothing here)."""

from typing import Any

import grpc

Context = grpc.aio.ServicerContext[Any, Any]
