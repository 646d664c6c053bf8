"""Stand-in for arcface_torch's `backbones` package: get_model(name, **kwargs) as insightface's recipes call it."""
from .iresnet import iresnet


def get_model(name, **kwargs):
    return iresnet(name, **kwargs)
