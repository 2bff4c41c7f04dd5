"""Task symmetries (tools/gram_reference/augment.py): every transform keeps a solved instance
solved, the groups have the sizes they should, and the orbit test finds exactly the held-out
puzzles' images (against a brute-force canonical form)."""
import itertools
import unittest

import numpy as np
import torch

from tests import helpers  # noqa: F401  (puts tools/ on the path)
from gram_reference import augment
from gram_reference.augment import Symmetry, sudoku_box
from gram_reference.data import drop_orbits
from gram_reference.puzzles import answer_check


def solved_grid(n):
    """A valid n x n grid as tokens (digit d -> d + 1): the textbook pattern."""
    r, c = sudoku_box(n)
    return torch.tensor([[(c * (i % r) + i // r + j) % n + 2 for j in range(n)]
                         for i in range(n)]).reshape(1, n * n)


def sudoku_instances(n, count, seed):
    """(inputs, targets): random symmetric images of the pattern grid with some cells blanked."""
    g = torch.Generator().manual_seed(seed)
    y = solved_grid(n).repeat(count, 1)
    y = augment.relabel_digits(*augment.permute_bands(y, y, n, g), n, g)[1]
    y = augment.permute_rows_within_bands(y, y, n, g)[1]
    blank = torch.rand(count, n * n, generator=g) < 0.6
    return torch.where(blank, torch.ones_like(y), y), y


def is_solved_sudoku(x, y, n):
    """Each row: y a valid grid, and x's givens agree with y."""
    r, c = sudoku_box(n)
    grid = y.view(-1, n, n) - 2
    digits = torch.arange(n)
    rows = (torch.sort(grid, dim=2).values == digits).all(2).all(1)
    columns = (torch.sort(grid, dim=1).values == digits[:, None]).all(1).all(1)
    boxes = grid.view(-1, n // r, r, n // c, c).permute(0, 1, 3, 2, 4).reshape(-1, n, n)
    boxes = (torch.sort(boxes, dim=2).values == digits).all(2).all(1)
    givens = ((x == 1) | (x == y)).all(1)
    return rows & columns & boxes & givens


def eight_queens():
    return [p for p in itertools.permutations(range(8))
            if all(abs(p[i] - p[j]) != j - i for i in range(8) for j in range(i + 1, 8))]


def queens_instances(count, removed, seed):
    g = torch.Generator().manual_seed(seed)
    solutions = eight_queens()
    x, y = [], []
    for _ in range(count):
        columns = solutions[int(torch.randint(len(solutions), (1,), generator=g))]
        keep = torch.randperm(8, generator=g)[removed:].tolist()
        board, full = [1] * 64, [1] * 64
        for row, column in enumerate(columns):
            full[row * 8 + column] = 2
            if row in keep:
                board[row * 8 + column] = 2
        x.append(board)
        y.append(full)
    return torch.tensor(x), torch.tensor(y)


SUDOKU_TRANSFORMS = [augment.permute_bands, augment.permute_stacks,
                     augment.permute_rows_within_bands, augment.permute_columns_within_stacks,
                     augment.relabel_digits]


class SudokuTransformTest(unittest.TestCase):
    def test_each_transform_keeps_a_solved_instance(self):
        for n in (4, 6, 9):
            x, y = sudoku_instances(n, 32, seed=n)
            self.assertTrue(is_solved_sudoku(x, y, n).all())
            for transform in SUDOKU_TRANSFORMS:
                with self.subTest(n=n, transform=transform.__name__):
                    g = torch.Generator().manual_seed(1)
                    ax, ay = transform(x, y, n, g)
                    self.assertTrue(is_solved_sudoku(ax, ay, n).all())
                    self.assertFalse(torch.equal(ay, y), "the transform changed nothing")
                    # Givens stay givens and blanks stay blanks: the same count per row.
                    self.assertTrue(torch.equal((ax == 1).sum(1), (x == 1).sum(1)))

    def test_transposition_only_with_square_boxes(self):
        for n in (4, 9):
            x, y = sudoku_instances(n, 8, seed=3)
            self.assertTrue(is_solved_sudoku(*augment.transpose(x, y, n), n).all())
        # 6x6 has 2 x 3 boxes: the transposed grid has 3 x 2 boxes and breaks the task's rule.
        x, y = sudoku_instances(6, 8, seed=3)
        flipped_y = y.view(-1, 6, 6).transpose(1, 2).reshape(-1, 36)
        self.assertFalse(is_solved_sudoku(x, flipped_y, 6).any())
        with self.assertRaisesRegex(ValueError, "not a symmetry"):
            augment.transpose(x, y, 6)
        self.assertFalse(Symmetry("sudoku:6").transpose)
        self.assertIn("no transposition", Symmetry("sudoku:6").description)

    def test_composite_augmentation(self):
        for n in (4, 6, 9):
            x, y = sudoku_instances(n, 64, seed=5)
            ax, ay = Symmetry(f"sudoku:{n}").augment(x, y, torch.Generator().manual_seed(2))
            self.assertTrue(is_solved_sudoku(ax, ay, n).all())

    def test_group_sizes_and_maps(self):
        for n, size in ((4, 128), (6, 3456), (9, 72)):
            symmetry = Symmetry(f"sudoku:{n}")
            maps = symmetry.cell_maps()
            self.assertEqual(symmetry.geometric_size(), size)
            self.assertEqual(maps.shape, (size, n * n))
            self.assertEqual(len({tuple(m) for m in maps}), size)  # all distinct
            x, y = sudoku_instances(n, 1, seed=7)
            images = torch.from_numpy(maps)
            self.assertTrue(is_solved_sudoku(x[0][images], y[0][images], n).all())
        self.assertFalse(Symmetry("sudoku:9").within)  # too many to enumerate per puzzle


class QueensTransformTest(unittest.TestCase):
    def test_dihedral_images_are_solved_instances(self):
        x, y = queens_instances(16, removed=5, seed=0)
        valid = answer_check("nqueens:8")
        maps = torch.from_numpy(augment.dihedral_maps(8))
        for g in range(8):
            ax, ay = x[:, maps[g]], y[:, maps[g]]
            self.assertTrue(valid(ax, ay, ay).all(), f"group element {g}")
        # An asymmetric solution has 8 distinct images.
        self.assertEqual(len({tuple(y[0][m].tolist()) for m in maps}), 8)
        ax, ay = augment.dihedral(x, y, 8, torch.Generator().manual_seed(1))
        self.assertTrue(valid(ax, ay, ay).all())
        self.assertTrue(((ax == 1) | (ax == ay)).all())


def brute_canonical(symmetry, board):
    """min over every cell map of the board with digits renamed by first appearance."""
    forms = []
    for cell_map in symmetry.cell_maps():
        image = [int(board[i]) for i in cell_map]
        names = {}
        renamed = []
        for token in image:
            if token >= 2 and symmetry.relabel:
                names.setdefault(token, 2 + len(names))
                token = names[token]
            renamed.append(token)
        forms.append(tuple(renamed))
    return min(forms)


class OrbitTest(unittest.TestCase):
    def test_first_appearance_ignores_relabelling(self):
        x, y = sudoku_instances(6, 20, seed=1)
        relabelled, _ = augment.relabel_digits(x, y, 6, torch.Generator().manual_seed(3))
        a = augment.first_appearance(x.numpy().astype(np.uint8), 6)
        b = augment.first_appearance(relabelled.numpy().astype(np.uint8), 6)
        np.testing.assert_array_equal(a, b)

    def test_orbit_members_match_brute_force(self):
        for task, make in (("sudoku:4", lambda s: sudoku_instances(4, 40, s)),
                           ("nqueens:8", lambda s: queens_instances(40, 6, s))):
            with self.subTest(task=task):
                symmetry = Symmetry(task)
                held_x, held_y = make(1)
                other_x, other_y = make(2)
                images_x, _ = symmetry.augment(held_x, held_y, torch.Generator().manual_seed(4))
                candidates = torch.cat([images_x, other_x])
                found = augment.orbit_members(symmetry, candidates,
                                              augment.orbit_hashes(symmetry, held_x))
                held_forms = {brute_canonical(symmetry, b) for b in held_x}
                expected = [brute_canonical(symmetry, b) in held_forms for b in candidates]
                self.assertEqual(found.tolist(), expected)
                self.assertTrue(found[:40].all())       # every image of a held-out puzzle
                self.assertFalse(found[40:].all())      # and not everything else

    def test_drop_orbits_counts(self):
        symmetry = Symmetry("sudoku:6")
        held_x, held_y = sudoku_instances(6, 10, seed=8)
        images_x, images_y = symmetry.augment(held_x, held_y, torch.Generator().manual_seed(0))
        other_x, other_y = sudoku_instances(6, 15, seed=9)
        x, y = torch.cat([other_x, images_x[:4]]), torch.cat([other_y, images_y[:4]])
        kept_x, kept_y, dropped = drop_orbits(symmetry, x, y,
                                              augment.orbit_hashes(symmetry, held_x))
        self.assertEqual(dropped, 4)
        self.assertTrue(torch.equal(kept_x, other_x))
        self.assertTrue(torch.equal(kept_y, other_y))

    def test_identity_group_without_augmentation(self):
        symmetry = Symmetry("none")
        x, y = sudoku_instances(4, 5, seed=2)
        moved, _ = augment.permute_bands(x, y, 4, torch.Generator().manual_seed(0))
        orbits = augment.orbit_hashes(symmetry, x)
        self.assertTrue(augment.orbit_members(symmetry, x, orbits).all())
        same = (moved == x).all(1)
        self.assertEqual(augment.orbit_members(symmetry, moved, orbits).tolist(), same.tolist())


if __name__ == "__main__":
    unittest.main()
