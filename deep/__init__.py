"""Deep segmentation models on Keras 3 (CAE, U-Nets): not built yet.

This package is reserved for the deep half of the benchmark (model builders, training,
registry); see README.md, "What is not built yet".
"""
