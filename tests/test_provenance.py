"""The git revision recorded in a run's manifest is read from the .git files (no git process is started)."""

from layertopo.provenance import _head_commit, git_revision

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_head_is_followed_to_a_loose_or_packed_ref_or_read_when_detached(tmp_path):
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    assert _head_commit(git) is None  # a branch without a commit yet
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{COMMIT} refs/heads/main\n")
    assert _head_commit(git) == COMMIT
    (git / "refs" / "heads" / "main").write_text("f" * 40 + "\n")  # a loose ref wins over the packed one
    assert _head_commit(git) == "f" * 40
    (git / "HEAD").write_text(COMMIT + "\n")
    assert _head_commit(git) == COMMIT


def test_a_worktree_file_points_to_its_git_folder_and_the_shared_refs(tmp_path):
    main = tmp_path / "main" / ".git"
    (main / "refs" / "heads").mkdir(parents=True)
    (main / "refs" / "heads" / "topic").write_text(COMMIT + "\n")
    own = main / "worktrees" / "topic"
    own.mkdir(parents=True)
    (own / "HEAD").write_text("ref: refs/heads/topic\n")
    (own / "commondir").write_text("../..\n")
    tree = tmp_path / "topic"
    tree.mkdir()
    (tree / ".git").write_text(f"gitdir: {own}\n")
    assert _head_commit(tree / ".git") == COMMIT


def test_this_checkout_has_a_revision():
    revision = git_revision()
    assert revision is None or (len(revision) == 40 and int(revision, 16) >= 0)
