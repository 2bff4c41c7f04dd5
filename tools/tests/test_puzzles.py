"""The trainer's puzzle readers and answer checks (tools/gram_reference/puzzles.py)."""
import itertools
import os
import subprocess
import tempfile
import unittest

import torch

from tests import helpers
from gram_reference.puzzles import PuzzleFileError, answer_check, read_puzzles

# docs/tasks.md's 8x8 example: 3 given queens, this completion among 3.
BOARD = "....Q..............Q.................................Q.........."
SOLUTION = "....Q....Q.........Q..........Q...Q............Q.....Q..Q......."


def eight_queens():
    """All 92 placements, as the column of each row's queen."""
    return [p for p in itertools.permutations(range(8))
            if all(abs(p[i] - p[j]) != j - i for i in range(8) for j in range(i + 1, 8))]


def board_tokens(columns):
    tokens = [1] * 64
    for row, column in enumerate(columns):
        if column >= 0:
            tokens[row * 8 + column] = 2
    return tokens


class ReaderTest(unittest.TestCase):
    def write(self, text):
        handle = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        handle.write(text)
        handle.close()
        self.addCleanup(os.unlink, handle.name)
        return handle.name

    def test_nqueens_tokens(self):
        path = self.write(f"# a comment\n{BOARD},{SOLUTION}\n\n")
        puzzles, x, y = read_puzzles(path, "nqueens:8")
        self.assertEqual(puzzles, [BOARD])
        self.assertEqual(x.shape, (1, 64))
        self.assertEqual(x[0].tolist(), [2 if ch == "Q" else 1 for ch in BOARD])
        self.assertEqual(int((y[0] == 2).sum()), 8)
        self.assertEqual(y[0, 4].item(), 2)

    def test_coloring_tokens(self):
        # docs/tasks.md's example: a 4-cycle with a tail, 5 nodes, 3 colours.
        path = self.write("0-1 1-2 2-3 3-0 0-4,01012\n")
        _, x, y = read_puzzles(path, "coloring:5:3")
        pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
        edges = {(0, 1), (1, 2), (2, 3), (0, 3), (0, 4)}
        triangle = [2 if pair in edges else 1 for pair in pairs]
        self.assertEqual(x[0].tolist(), triangle + [1] * 5)
        self.assertEqual(y[0].tolist(), triangle + [3, 4, 3, 4, 5])

    def test_sudoku_tokens(self):
        path = self.write("12..34..........,1243342121344312\n")
        _, x, y = read_puzzles(path, "sudoku:4")
        self.assertEqual(x[0, :4].tolist(), [2, 3, 1, 1])
        self.assertEqual(y[0, :4].tolist(), [2, 3, 5, 4])

    def test_bad_lines_name_file_and_line(self):
        cases = [("nqueens:8", f"{BOARD},{SOLUTION}\n{BOARD}\n", ":2: no solution"),
                 ("nqueens:8", f"{BOARD},{SOLUTION[:-1]}x\n", ":1: solution must be 64"),
                 ("nqueens:8", f"{BOARD[:-1]},{SOLUTION}\n", ":1: board must be 64"),
                 ("coloring:5:3", "0-1 1-7,01012\n", ":1: bad edge '1-7'"),
                 ("coloring:5:3", "0-1,01019\n", ":1: colouring must be 5 digits"),
                 ("sudoku:4", "12..34..........,12433421213443x2\n", ":1: expected digits")]
        for task, text, message in cases:
            with self.subTest(task=task, message=message):
                path = self.write(text)
                with self.assertRaises(PuzzleFileError) as caught:
                    read_puzzles(path, task)
                self.assertIn(path + message, str(caught.exception))

    def test_unknown_task_and_missing_file(self):
        with self.assertRaisesRegex(PuzzleFileError, "task 'maze:8'"):
            read_puzzles(self.write("x\n"), "maze:8")
        with self.assertRaisesRegex(PuzzleFileError, "no puzzles"):
            read_puzzles(self.write("# nothing\n"), "nqueens:8")
        with self.assertRaisesRegex(PuzzleFileError, "/nonexistent.txt: "):
            read_puzzles("/nonexistent.txt", "nqueens:8")

    def test_reads_what_the_engine_generates(self):
        gram = helpers.gram_binary()
        if gram is None:
            self.skipTest("no built gram binary to generate puzzles; skipping")
        with tempfile.TemporaryDirectory() as folder:
            for task, extra in (("nqueens:8", ["--removed", "6"]), ("coloring:6:3", []),
                                ("sudoku:4", [])):
                with self.subTest(task=task):
                    path = os.path.join(folder, task.replace(":", "-") + ".txt")
                    subprocess.run([gram, "generate", "--task", task, "--count", "20", "--seed",
                                    "5", "--output", path] + extra, check=True,
                                   capture_output=True)
                    _, x, y = read_puzzles(path, task)
                    self.assertEqual(x.shape[0], 20)
                    # The generator's targets are valid answers to its puzzles.
                    self.assertTrue(answer_check(task)(x, y, y).all())


class AnswerCheckTest(unittest.TestCase):
    def test_nqueens_accepts_every_completion_and_nothing_else(self):
        valid = answer_check("nqueens:8")
        solutions = eight_queens()
        given = solutions[0]
        # Two givens; every placement through them is valid, however the target reads.
        x = torch.tensor([board_tokens([given[0], given[1]] + [-1] * 6)])
        target = torch.tensor([board_tokens(given)])
        for columns in solutions:
            answer = torch.tensor([board_tokens(columns)])
            keeps = columns[0] == given[0] and columns[1] == given[1]
            self.assertEqual(bool(valid(x, answer, target)), keeps, columns)

    def test_nqueens_rejects_broken_boards(self):
        valid = answer_check("nqueens:8")
        x = torch.ones(1, 64, dtype=torch.long)
        good = board_tokens(eight_queens()[3])
        seven = list(good)
        seven[seven.index(2)] = 1
        same_column = board_tokens([0, 2, 4, 6, 1, 3, 5, 0])
        diagonal = board_tokens([0, 1, 3, 5, 7, 2, 4, 6])
        pad = list(good)
        pad[pad.index(1)] = 0
        answers = torch.tensor([good, seven, same_column, diagonal, pad])
        self.assertEqual(valid(x.expand(5, 64), answers, answers).tolist(),
                         [True, False, False, False, False])

    def test_coloring_checks_edges_only_at_node_slots(self):
        valid = answer_check("coloring:3:2")
        # A path 0-1-2 (pairs (0,1), (0,2), (1,2)); colourings 0,1,0 and 1,0,1 are proper.
        x = torch.tensor([[2, 1, 2, 1, 1, 1]] * 4)
        answers = torch.tensor([[2, 1, 2, 3, 4, 3], [2, 1, 2, 4, 3, 4],
                                [2, 1, 2, 3, 3, 4], [2, 1, 2, 3, 5, 3]])
        self.assertEqual(valid(x, answers, answers[:1].expand(4, 6)).tolist(),
                         [True, True, False, False])

    def test_sudoku_is_equality_with_the_target(self):
        valid = answer_check("sudoku:4")
        y = torch.tensor([[2, 3, 5, 4] * 4])
        other = y.clone()
        other[0, 0] = 3
        self.assertEqual(valid(y, torch.cat([y, other]), y.expand(2, 16)).tolist(),
                         [True, False])


if __name__ == "__main__":
    unittest.main()
