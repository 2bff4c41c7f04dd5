"""Symmetries of the puzzle tasks: data augmentation and the orbits that keep held-out puzzles
out of training.

Each transform acts on (input, target) together, so an augmented pair is another solved
instance of the same task (tools/tests/test_augment.py checks each one):

- Sudoku n x n with boxes r x c (r rows, c columns; docs/tasks.md): relabelling the digits,
  permuting the bands (groups of r box rows), the stacks (groups of c box columns), the rows
  within a band and the columns within a stack, and transposing, but only when the boxes are
  square (r == c). Transposing a 6x6 grid with 2 x 3 boxes turns them into 3 x 2 boxes, so the
  image is no longer a 6x6 Sudoku of this task. Cell permutations: (n/r)! (r!)^(n/r) (n/c)!
  (c!)^(n/c) x 2 if square: 128 on 4x4, 3,456 on 6x6, 3,359,232 on 9x9.
- N-Queens: the dihedral group of the square (4 rotations, 4 reflections).
- Colouring: not augmented (the identity only).

The orbit of a puzzle is every input the group makes of it. A training puzzle whose orbit holds
a validation or test puzzle is a held-out puzzle in disguise once augmentation may produce it,
so it leaves the training set (`orbit_members`). Orbits are enumerated from the held-out side:
every cell permutation of each held-out input, digits renamed in the order they first appear
(which makes the form independent of the relabelling), hashed; a training input is in a
held-out orbit iff its own renamed form has one of those hashes. The hash is 64 bits: a
collision can only drop a puzzle too many, never keep one it should drop. For 9x9 Sudoku the
3.4 million cell permutations per held-out puzzle are too many to enumerate, so 9x9 augments
with digits, bands, stacks and transposition only (72 cell permutations) and is deduplicated
under that group.
"""
from __future__ import annotations

import itertools
import math
from typing import Tuple

import numpy as np
import torch

ENUMERATION_LIMIT = 20_000  # cell permutations per held-out puzzle we are willing to list


def sudoku_box(n: int) -> Tuple[int, int]:
    """(rows, columns) of a box: 2x2 on 4x4, 2x3 on 6x6, 3x3 on 9x9 (docs/tasks.md)."""
    boxes = {4: (2, 2), 6: (2, 3), 9: (3, 3)}
    if n not in boxes:
        raise ValueError(f"sudoku:{n}: no box shape known (4, 6 or 9)")
    return boxes[n]


class Symmetry:
    """A task's symmetry group: `augment` draws one element per row, `cell_maps` lists the cell
    permutations for the orbits, `relabel` says whether symbols are renamed too."""

    def __init__(self, task: str):
        kind, *sizes = task.split(":")
        self.kind, self.task = kind, task
        self.n = int(sizes[0]) if sizes else 0
        self.relabel = kind == "sudoku"
        self.within = True       # rows within bands, columns within stacks (Sudoku)
        if kind == "sudoku":
            self.box = sudoku_box(self.n)
            self.transpose = self.box[0] == self.box[1]
            if self.geometric_size() > ENUMERATION_LIMIT:
                self.within = False
        self.description = self._describe()

    # --- the group ----------------------------------------------------------------------------
    def geometric_size(self) -> int:
        if self.kind == "nqueens":
            return 8
        if self.kind != "sudoku":
            return 1
        n, (r, c) = self.n, self.box
        size = math.factorial(n // r) * math.factorial(n // c)
        if self.within:
            size *= math.factorial(r) ** (n // r) * math.factorial(c) ** (n // c)
        return size * (2 if self.transpose else 1)

    def _describe(self) -> str:
        if self.kind == "nqueens":
            return "the 8 rotations and reflections of the board"
        if self.kind != "sudoku":
            return "none (identity)"
        parts = ["digits", "bands", "stacks"]
        if self.within:
            parts += ["rows within bands", "columns within stacks"]
        parts.append("transposition" if self.transpose else
                     "no transposition (the boxes are not square)")
        return "Sudoku: " + ", ".join(parts)

    def cell_maps(self) -> np.ndarray:
        """(G, L) int64: row g maps output cell i to input cell maps[g, i]."""
        if self.kind == "nqueens":
            return dihedral_maps(self.n)
        if self.kind != "sudoku":
            return None
        n, (r, c) = self.n, self.box
        rows = _line_orders(n, r, self.within)     # (Gr, n)
        columns = _line_orders(n, c, self.within)  # (Gc, n)
        maps = (rows[:, None, :, None] * n + columns[None, :, None, :]).reshape(-1, n * n)
        if self.transpose:
            square = maps.reshape(-1, n, n)
            maps = np.concatenate([maps, square.transpose(0, 2, 1).reshape(-1, n * n)])
        return maps

    # --- augmentation -------------------------------------------------------------------------
    def augment(self, inputs: torch.Tensor, targets: torch.Tensor,
                generator: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
        """One uniformly random group element per row, applied to input and target alike."""
        if self.kind == "nqueens":
            return dihedral(inputs, targets, self.n, generator)
        if self.kind != "sudoku":
            return inputs, targets
        pair = (inputs, targets)
        steps = [permute_bands, permute_stacks]
        if self.within:
            steps += [permute_rows_within_bands, permute_columns_within_stacks]
        for step in steps:
            pair = step(*pair, self.n, generator)
        if self.transpose:
            flip = torch.rand(inputs.shape[0], generator=generator) < 0.5
            flipped = transpose(*pair, self.n)
            pair = tuple(torch.where(flip[:, None], a, b) for a, b in zip(flipped, pair))
        return relabel_digits(*pair, self.n, generator)


def _line_orders(n: int, size: int, within: bool) -> np.ndarray:
    """Every order of n lines grouped in blocks of `size` lines that keeps the blocks whole."""
    blocks = n // size
    inner = list(itertools.permutations(range(size))) if within else [tuple(range(size))]
    orders = []
    for block_order in itertools.permutations(range(blocks)):
        for inside in itertools.product(inner, repeat=blocks):
            orders.append([block_order[b] * size + inside[b][k]
                           for b in range(blocks) for k in range(size)])
    return np.array(orders, dtype=np.int64)


# --- Sudoku: one function per generator of the group ----------------------------------------
def _map_cells(inputs, targets, index):
    """output cell i = input cell index[row, i], for input and target alike."""
    return torch.gather(inputs, 1, index), torch.gather(targets, 1, index)


def _map_lines(inputs, targets, n: int, order: torch.Tensor, columns: bool):
    """(B, n) line order: output row (column) i is input row (column) order[:, i]."""
    lines = torch.arange(n)
    if columns:
        index = lines[None, :, None] * n + order[:, None, :]
    else:
        index = order[:, :, None] * n + lines[None, None, :]
    return _map_cells(inputs, targets, index.reshape(inputs.shape[0], n * n))


def _block_order(rows: int, n: int, size: int, generator) -> torch.Tensor:
    """Whole blocks of `size` lines in a random order, lines inside a block in place."""
    blocks = torch.argsort(torch.rand(rows, n // size, generator=generator), dim=-1)
    return (blocks[:, :, None] * size + torch.arange(size)).reshape(rows, n)


def _order_within_blocks(rows: int, n: int, size: int, generator) -> torch.Tensor:
    """Lines shuffled inside each block of `size` lines, blocks in place."""
    inside = torch.argsort(torch.rand(rows, n // size, size, generator=generator), dim=-1)
    return (torch.arange(n // size)[None, :, None] * size + inside).reshape(rows, n)


def permute_bands(inputs, targets, n: int, generator):
    """Bands (the r rows of a box row) in a random order."""
    r, _ = sudoku_box(n)
    return _map_lines(inputs, targets, n, _block_order(inputs.shape[0], n, r, generator), False)


def permute_stacks(inputs, targets, n: int, generator):
    """Stacks (the c columns of a box column) in a random order."""
    _, c = sudoku_box(n)
    return _map_lines(inputs, targets, n, _block_order(inputs.shape[0], n, c, generator), True)


def permute_rows_within_bands(inputs, targets, n: int, generator):
    r, _ = sudoku_box(n)
    order = _order_within_blocks(inputs.shape[0], n, r, generator)
    return _map_lines(inputs, targets, n, order, False)


def permute_columns_within_stacks(inputs, targets, n: int, generator):
    _, c = sudoku_box(n)
    order = _order_within_blocks(inputs.shape[0], n, c, generator)
    return _map_lines(inputs, targets, n, order, True)


def transpose(inputs, targets, n: int):
    """Rows become columns. A symmetry only with square boxes: an r x c box becomes c x r, so on
    6x6 (2 x 3 boxes) the image breaks the box rule of the task (refused here)."""
    r, c = sudoku_box(n)
    if r != c:
        raise ValueError(f"sudoku:{n}: transposition turns {r}x{c} boxes into {c}x{r} ones, "
                         f"not a symmetry of the task")
    index = torch.arange(n * n).view(n, n).t().reshape(1, -1).expand(inputs.shape[0], -1)
    return _map_cells(inputs, targets, index)


def relabel_digits(inputs, targets, n: int, generator: torch.Generator):
    """Sudoku stays Sudoku under a renaming of its digits: one permutation per row. Tokens 0
    (pad) and 1 (blank) stay; digit d (token d + 1) becomes token order[d] + 2."""
    rows = inputs.shape[0]
    order = torch.argsort(torch.rand(rows, n, generator=generator), dim=-1) + 2  # (B, n)
    table = torch.cat([torch.arange(2).expand(rows, 2), order], dim=-1)         # token -> token
    return torch.gather(table, 1, inputs), torch.gather(table, 1, targets)


# --- N-Queens ---------------------------------------------------------------------------------
def dihedral(inputs, targets, n: int, generator):
    """One of the 8 rotations and reflections of the board per row."""
    maps = torch.from_numpy(dihedral_maps(n))
    index = maps[torch.randint(8, (inputs.shape[0],), generator=generator)]
    return _map_cells(inputs, targets, index)


def dihedral_maps(n: int) -> np.ndarray:
    """(8, n*n): the rotations and reflections of an n x n board as cell maps."""
    cells = np.arange(n * n).reshape(n, n)
    images = []
    for flip in (False, True):
        board = cells.T if flip else cells
        for turns in range(4):
            images.append(np.rot90(board, turns).reshape(-1))
    return np.stack(images)


# --- orbits ------------------------------------------------------------------------------------
def first_appearance(tokens: np.ndarray, symbols: int) -> np.ndarray:
    """Renames the digit tokens (2 .. symbols + 1) of each row in the order they first appear
    in row-major order, so a board and any relabelling of it give the same array."""
    rows, length = tokens.shape
    order = np.full((rows, symbols + 2), length, dtype=np.int16)   # first position per token
    for token in range(2, symbols + 2):
        present = tokens == token
        order[:, token] = np.where(present.any(1), present.argmax(1), length)
    # The new name of a digit is 2 + the number of digits that appear before it.
    rank = (order[:, None, 2:] < order[:, 2:, None]).sum(-1, dtype=np.uint8) + 2  # (rows, n)
    table = np.concatenate([np.tile(np.arange(2, dtype=np.uint8), (rows, 1)), rank], axis=1)
    return np.take_along_axis(table, tokens.astype(np.intp), axis=1)


def _hash_rows(tokens: np.ndarray) -> np.ndarray:
    """64-bit hash of each row (a fixed random linear form, wrapping mod 2^64)."""
    weights = np.random.default_rng(20260101).integers(1, 2**63, tokens.shape[1],
                                                       dtype=np.uint64) | np.uint64(1)
    with np.errstate(over="ignore"):
        return (tokens.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)


def orbit_hashes(symmetry: Symmetry, inputs: torch.Tensor, chunk: int = 64) -> np.ndarray:
    """The hashes of every image of every input under the group (sorted, unique)."""
    inputs = inputs.cpu().numpy().astype(np.uint8)  # tokens < 256 in every task
    maps = symmetry.cell_maps()
    if maps is None:
        maps = np.arange(inputs.shape[1])[None, :]
    found = [np.zeros(0, np.uint64)]
    for start in range(0, inputs.shape[0], chunk):
        images = inputs[start:start + chunk][:, maps].reshape(-1, inputs.shape[1])
        if symmetry.relabel:
            images = first_appearance(images, symmetry.n)
        found.append(_hash_rows(images))
    return np.unique(np.concatenate(found))


def puzzle_hashes(symmetry: Symmetry, inputs: torch.Tensor) -> np.ndarray:
    """The hash a puzzle has in `orbit_hashes` of anything in its orbit."""
    inputs = inputs.cpu().numpy().astype(np.uint8)
    if symmetry.relabel:
        inputs = first_appearance(inputs, symmetry.n)
    return _hash_rows(inputs)


def orbit_members(symmetry: Symmetry, candidates: torch.Tensor,
                  orbits: np.ndarray) -> torch.Tensor:
    """(count,) bool: which candidate inputs have a hash among `orbits` (orbit_hashes of the
    held-out inputs), i.e. lie in the orbit of a held-out input."""
    return torch.from_numpy(np.isin(puzzle_hashes(symmetry, candidates), orbits))
