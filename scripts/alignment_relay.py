"""Does the reconstruction-alignment term (`w_align`) teach the decoder to rebuild the record, or to relay its
conditioning vector? With `global_cond cross` the decoder of view 1 is given view 2's global vector, and `w_align`
asks the encoded reconstruction of view 1 to match view 2's projection: the decoder can pass the answer through.

For each checkpoint, on val records (eval mode, fixed views and masks): the reconstruction alignment loss and the
top-1 retrieval of the encoded reconstruction among the other views' projections, (a) decoded as trained and,
for a conditioned decoder, (b) decoded with the global vector of *another* record of the batch. If the decoder
relays its conditioning, (b) retrieves the record whose vector it was given, not the record it reconstructs.

    python scripts/alignment_relay.py --checkpoints results/runs/core_ecg/last.pt,results/runs/cond_none/last.pt,\
results/runs/align_rec/last.pt,results/runs/align_rec_only/last.pt --out results/alignment_relay.csv
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from core_ecg.cache import open_cache
from core_ecg.checkpoint import from_checkpoint
from core_ecg.fda import augment
from core_ecg.loss import cross_view_nce, masked_mse
from core_ecg.stdm import make_mask


def retrieval(z_rec: torch.Tensor, z: torch.Tensor) -> np.ndarray:
    """Record (0..B-1) of the nearest other-view projection (cosine) for every row of z_rec (2B, d): view 1's
    reconstructions are matched against view 2's projections and vice versa, as in the alignment loss."""
    (r1, r2), (z1, z2) = F.normalize(z_rec, dim=-1).chunk(2), F.normalize(z, dim=-1).chunk(2)
    return torch.cat([(r1 @ z2.T).argmax(-1), (r2 @ z1.T).argmax(-1)]).numpy()


@torch.no_grad()
def relay_batch(model, x: torch.Tensor, seed: int) -> list[dict]:
    "Rows of alignment loss and retrieval for one batch, decoded as trained and with another record's vector."
    cfg, B = model.cfg, len(x)
    gen = torch.Generator().manual_seed(seed)
    views = augment(x.repeat(2, 1, 1), cfg.fs, cfg.augmentation, gen)
    mask = make_mask(cfg.masking, 2 * B, cfg.n_leads, x.shape[-1] // cfg.patch_size, cfg.time_ratio, cfg.lead_ratio,
                     cfg.target_ratio, generator=gen)
    h = model.encode(views, mask)
    g = model.global_vector(h)
    z = model.project(g)
    target = model.patchify(views if cfg.rec_target == "view" else x.repeat(2, 1, 1))
    record, half = torch.arange(2 * B) % B, torch.arange(2 * B) // B
    other_view = (1 - half) * B + record                                  # the other view of the same record
    given = {"as trained": other_view if cfg.global_cond == "cross" else torch.arange(2 * B)}
    if cfg.global_cond == "cross":                                        # the other view of the next record
        given["another record's vector"] = (1 - half) * B + (record + 1) % B
    rows = []
    for name, src in given.items():
        cond = None if cfg.global_cond == "none" else g[src]
        pred = model.decode(h, mask, cond)
        z_rec = model.encode_reconstruction(pred, mask)
        hit = retrieval(z_rec, z)
        rows.append(dict(decoded_with=name, align=float(cross_view_nce(z_rec, z, cfg.tau)),
                         rec=float(masked_mse(pred, target, mask)),
                         top1_own_record=float(np.mean(hit == record.numpy())),
                         top1_given_vector=float(np.mean(hit == (src % B).numpy())) if cfg.global_cond == "cross" else np.nan))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", required=True, help="comma-separated checkpoints with a decoder and a projector (trained with or without w_align)")
    ap.add_argument("--data", type=Path, default=Path("data/ptbxl100"))
    ap.add_argument("--batches", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    cache = open_cache(a.data)
    val = cache.split_indices("val")
    rows = []
    for path in a.checkpoints.split(","):
        model = from_checkpoint(path).eval()
        if model.decoder is None or model.projector is None:
            raise SystemExit(f"{path}: needs a decoder and a projector (w_rec > 0 and w_con > 0)")
        for b in range(a.batches):
            idx = val[b * a.batch_size:(b + 1) * a.batch_size]
            x = torch.from_numpy(np.asarray(cache.signals[idx], np.float32))
            for r in relay_batch(model, x, seed=b):
                rows.append(dict(checkpoint=path, global_cond=model.cfg.global_cond, batch=b, **r))
    df = pd.DataFrame(rows)
    summary = df.groupby(["checkpoint", "global_cond", "decoded_with"], sort=False).mean(numeric_only=True).drop(columns="batch")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    summary.round(4).to_csv(a.out)
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
