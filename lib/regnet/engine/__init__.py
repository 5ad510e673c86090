"""Training: one network, one run folder.

    loop.py          `train(cfg, out)`: the epochs, the step, evaluation
    schedule.py      the seeds' warm-up + quarter-cosine learning rate
    ema.py           an exponential moving average of the weights
    checkpoint.py    what a resumed run needs, saved atomically, loaded without code
    runfolder.py     params.yaml, metrics.jsonl, and when a folder may be reused
    distributed.py   rank, world size and device (torchrun, DDP)
    device.py        fast by default: what PRECISION, CHANNELS_LAST, COMPILE, CUDA_GRAPHS=auto
                     become on a device; the compile cache; device syncs for timing
    graphs.py        the whole training step as one CUDA graph
    bench.py         images/s of every speed setting and a seed-style pipeline, one table
    gpucheck.py      check-gpu: does the fast path train the same network as plain fp32 here
"""
