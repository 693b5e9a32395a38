"""Integrations of torchact with other libraries; each is imported on its own and needs its
library, e.g. ``import torchact.integrations.transformers`` needs Hugging Face transformers.
``import torchact`` imports none of them."""
