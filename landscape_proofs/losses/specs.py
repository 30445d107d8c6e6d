"""Re-exports of the loss modules under their former home (kept for kernel/ and theorems/).

New code imports from :mod:`landscape_proofs.losses.base`, the loss modules and
:mod:`landscape_proofs.losses.registry`.
"""
from landscape_proofs.losses.base import Loss, LossSpec
from landscape_proofs.losses.custom import CustomLoss
from landscape_proofs.losses.l1 import L1Loss
from landscape_proofs.losses.power import PowerLoss
from landscape_proofs.losses.registry import LOSSES, loss_from_json
from landscape_proofs.losses.square import SquareLoss

LOSS_NAMES = tuple(LOSSES)

__all__ = ["Loss", "LossSpec", "SquareLoss", "PowerLoss", "L1Loss", "CustomLoss",
           "LOSS_NAMES", "loss_from_json"]
