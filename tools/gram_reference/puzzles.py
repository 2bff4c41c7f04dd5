"""Puzzle files as the engine's generator writes them (docs/tasks.md), read into token tensors,
and the exact check of an answer, for every task the engine generates.

The trainer needs a target for every puzzle, so a line without its solution is an error here
even where the engine accepts it. Multi-solution tasks (N-Queens, colouring) keep the one
completion the file gives: the GRAM posterior sees that target, which is how one board teaches
several modes. Token encodings are the engine's: docs/tasks.md.
"""
from typing import Callable, List, Tuple

import torch


class PuzzleFileError(ValueError):
    """One line, `path:line: what`, for the caller to print."""


def _lines(path):
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if line and not line.startswith("#"):
                yield number, line


def _split(path, number, line, what):
    board, comma, solution = line.partition(",")
    if not comma:
        raise PuzzleFileError(f"{path}:{number}: no solution (expected `{what}`; training "
                              f"needs a target)")
    return board, solution


# --- Sudoku: blank -> 1, digit d -> d + 1 ------------------------------------------------------
def _read_sudoku(path, n):
    puzzles, inputs, targets = [], [], []
    for number, line in _lines(path):
        puzzle, solution = _split(path, number, line, "puzzle,solution")
        if len(puzzle) != n * n or len(solution) != n * n:
            raise PuzzleFileError(f"{path}:{number}: expected `puzzle,solution` of {n * n} "
                                  f"characters each")
        try:
            inputs.append([1 if ch in ".0" else int(ch) + 1 for ch in puzzle])
            targets.append([int(ch) + 1 for ch in solution])
        except ValueError:
            raise PuzzleFileError(f"{path}:{number}: expected digits, '.' or '0'") from None
        puzzles.append(puzzle)
    return puzzles, inputs, targets


# --- N-Queens: empty -> 1, queen -> 2 ------------------------------------------------------------
def _read_nqueens(path, n):
    puzzles, inputs, targets = [], [], []
    for number, line in _lines(path):
        board, solution = _split(path, number, line, "board,solution")
        for field, text in (("board", board), ("solution", solution)):
            if len(text) != n * n or set(text) - {".", "Q"}:
                raise PuzzleFileError(f"{path}:{number}: {field} must be {n * n} characters "
                                      f"of '.' and 'Q'")
        puzzles.append(board)
        inputs.append([2 if ch == "Q" else 1 for ch in board])
        targets.append([2 if ch == "Q" else 1 for ch in solution])
    return puzzles, inputs, targets


# --- colouring: the upper triangle (1 no edge, 2 edge), then node slots (1 / 3 + colour) -------
def _read_coloring(path, nodes, colors):
    pairs = {(i, j): k for k, (i, j) in enumerate(
        (i, j) for i in range(nodes) for j in range(i + 1, nodes))}
    puzzles, inputs, targets = [], [], []
    for number, line in _lines(path):
        edges, solution = _split(path, number, line, "edges,colours")
        triangle = [1] * len(pairs)
        for edge in edges.split():
            first, dash, second = edge.partition("-")
            try:
                i, j = sorted((int(first), int(second)))
            except ValueError:
                i = j = -1
            if not dash or (i, j) not in pairs:
                raise PuzzleFileError(f"{path}:{number}: bad edge '{edge}' (expected i-j, "
                                      f"0 <= i != j < {nodes})")
            triangle[pairs[(i, j)]] = 2
        if len(solution) != nodes or any(not ch.isdigit() or int(ch) >= colors
                                         for ch in solution):
            raise PuzzleFileError(f"{path}:{number}: colouring must be {nodes} digits "
                                  f"0..{colors - 1}")
        puzzles.append(edges)
        inputs.append(triangle + [1] * nodes)
        targets.append(triangle + [3 + int(ch) for ch in solution])
    return puzzles, inputs, targets


def read_puzzles(path: str, task: str) -> Tuple[List[str], torch.Tensor, torch.Tensor]:
    """A puzzle file of `task` ("sudoku:6", "nqueens:8", "coloring:10:3") -> (each line's
    puzzle text, inputs, targets), tokens as (count, seq_len) long tensors."""
    kind, *sizes = task.split(":")
    try:
        sizes = [int(s) for s in sizes]
    except ValueError:
        raise PuzzleFileError(f"task '{task}': sizes must be integers") from None
    readers = {("sudoku", 1): _read_sudoku, ("nqueens", 1): _read_nqueens,
               ("coloring", 2): _read_coloring}
    reader = readers.get((kind, len(sizes)))
    if reader is None:
        raise PuzzleFileError(f"task '{task}': the trainer reads sudoku:N, nqueens:N and "
                              f"coloring:N:C files")
    try:
        puzzles, inputs, targets = reader(path, *sizes)
    except OSError as error:
        raise PuzzleFileError(f"{path}: {error.strerror}") from None
    if not puzzles:
        raise PuzzleFileError(f"{path}: no puzzles")
    return (puzzles, torch.tensor(inputs, dtype=torch.long),
            torch.tensor(targets, dtype=torch.long))


# --- the exact check ------------------------------------------------------------------------
def _nqueens_valid(n):
    def valid(inputs, answers):
        queens = answers == 2
        board = queens.view(-1, n, n).long()
        device = answers.device
        rows = torch.arange(n, device=device).view(n, 1)
        columns = torch.arange(n, device=device).view(1, n)
        down = (rows + columns).flatten()           # row + column, 0..2n-2
        up = (rows - columns + n - 1).flatten()     # row - column + n - 1, 0..2n-2
        flat = queens.long()
        empty = torch.zeros(flat.shape[0], 2 * n - 1, dtype=torch.long, device=device)
        per_down = empty.clone().index_add_(1, down, flat)
        per_up = empty.index_add_(1, up, flat)
        return (((answers == 1) | queens).all(-1)
                & (board.sum(2) == 1).all(-1) & (board.sum(1) == 1).all(-1)
                & (per_down <= 1).all(-1) & (per_up <= 1).all(-1)
                & ~((inputs == 2) & ~queens).any(-1))
    return valid


def _coloring_valid(nodes, colors):
    pairs = [(i, j) for i in range(nodes) for j in range(i + 1, nodes)]
    first = torch.tensor([i for i, _ in pairs], dtype=torch.long)
    second = torch.tensor([j for _, j in pairs], dtype=torch.long)

    def valid(inputs, answers):
        slots = answers[:, len(pairs):]
        in_range = ((slots >= 3) & (slots < 3 + colors)).all(-1)
        edge = inputs[:, :len(pairs)] == 2
        i, j = first.to(answers.device), second.to(answers.device)
        clash = edge & (slots[:, i] == slots[:, j])
        return in_range & ~clash.any(-1)
    return valid


def answer_check(task: str) -> Callable:
    """valid(inputs, answers, targets) -> bool per row. Sudoku puzzles have one solution, so
    there it is equality with the target; N-Queens and colouring check the rules, since any
    completion counts."""
    kind, *sizes = task.split(":")
    sizes = [int(s) for s in sizes]
    if kind == "nqueens":
        rule = _nqueens_valid(*sizes)
    elif kind == "coloring":
        rule = _coloring_valid(*sizes)
    else:
        return lambda inputs, answers, targets: (answers == targets).all(-1)
    return lambda inputs, answers, targets: rule(inputs, answers)
