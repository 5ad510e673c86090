"""Studies made of many runs.

    runs.py          parameters to a run: its network, identity and folder; train or reuse
    experiments.py   the extra studies A-E from params/experiments/*.yaml
    sweep.py         the design-space sweep: sample, train briefly, tabulate (resumable)
    launch.py        a sweep's shards on submitit (SLURM) or Ray, watched until they end
    analysis.py      error EDFs and the paper's claims with bootstrap intervals
    recipe.py        the project's train against a plain PyTorch loop (bench-recipe)
"""
