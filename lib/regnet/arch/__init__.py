"""The networks: numbers in, modules and counts out. space.py alone is
torch-free.

    space.py         the design space: frozen specs, the RegNet width rule, named variants
    model.py         the torch modules (stem, X/Y block, stages, head) built from a spec,
                     each with its closed-form params/MACs/acts beside it
    complexity.py    the per-operator table of a built model (hooks) and its totals
    designspace.py   AnyNetX A-E and RegNetX samplers for the paper's design-space study
    pretrained.py    timm's and torchvision's ImageNet weights loaded into the paper models
    memory.py        a network's memory estimated from its spec, before anything is built
"""
