"""The classical computer-aided-diagnosis pipeline of the course.

Built so far: the course's preprocessing (:mod:`baselines.preprocessing`). The segmenters,
mass features and feature classifiers follow (see README, "What is not built yet").
"""
