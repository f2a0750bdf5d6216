"""tinytorch.core: the neural-network stack on the autograd engine.

One module each: `tensor` (Tensor), `module` (Module), `init` (weight
initialization), `layers` (Dense, Linear, Sequential, Dropout), `activations`,
`losses`, `optimizers`, `schedules`, `data`, `datasets`, `training`,
`progress` (the bar), and `demo` (the training half of `tito demo`). The main
names are re-exported here: `from tinytorch.core import Dense, ReLU, SGD, fit`.
"""

from .activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .data import DataLoader, Dataset, TensorDataset, train_test_split
from .datasets import load_digits, make_moons, make_spirals
from .init import manual_seed
from .layers import Dense, Dropout, Linear, Sequential
from .losses import BinaryCrossEntropyLoss, CrossEntropyLoss, MSELoss
from .module import Module
from .optimizers import SGD, Adam, AdamW, Optimizer, clip_grad_norm
from .schedules import CosineAnnealingLR, StepLR
from .tensor import Tensor
from .training import Trainer, accuracy, fit
