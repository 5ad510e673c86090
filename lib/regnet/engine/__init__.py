"""Training: one network, one run folder.

    loop.py          `train(cfg, out)`: the epochs, the step, evaluation
    schedule.py      the seeds' warm-up + quarter-cosine learning rate
    ema.py           an exponential moving average of the weights
    checkpoint.py    what a resumed run needs, saved atomically, loaded without code
    runfolder.py     params.yaml, metrics.jsonl, and when a folder may be reused
    distributed.py   rank, world size and device (torchrun, DDP)
    bench.py         images/s of the project's pipeline against a seed-style one
    bench_data.py    the data pipeline alone against the seed's DataLoader
"""
