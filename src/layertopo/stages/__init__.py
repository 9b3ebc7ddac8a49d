"""The stages of a run, each a list of units (``layertopo.stages.units``) run by one runner.

``training``    train/<model>/<seed>               snapshots, checkpoints, a history part
``topology``    topology/<model>/<seed>/<epoch>    diagrams and a summaries part
``distances``   distances/<model>/<seed>           a distances part (diagram distances, noise floors)
``views``       projections/<model>/<seed>, probes/<model>/<seed>   PCA views and linear probes
``resources``   the memory and disk a config needs, refused before any work
"""
