"""Which of the given mutants do these tests kill? A quick check while writing a test against survivors.

``make mutants`` leaves mutmut's trampolined copy of companion in ``mutants/``: every mutated function
reads the environment variable ``MUTANT_UNDER_TEST`` at each call and runs that mutant (or the original).
This pytest plugin collects the chosen tests once and runs them once per mutant in the same process,
so a check costs a test run, not a Python start and an import of torch per mutant::

    .venv-mutants/bin/python -P benchmarks/mutants_check.py tests/test_mutants_train_core.py -- \\
        companion.train.loop.x_loop__mutmut_153 companion.train.fit.x_fit__mutmut_1

``-P`` keeps the current folder off ``sys.path``, so that ``mutants/companion`` is imported rather than
the editable install's ``companion``. A mutant is *killed* when a test fails (or runs longer than
``--timeout`` seconds: an endless loop), as mutmut counts it. The original code is run first and must
pass; a sanity run with every mutated function raising (mutmut's ``fail``) must fail. ``make mutants``
stays the measurement: mutmut runs the tests that reach each function, this runs the ones you name.
"""

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

ROOT = Path(__file__).resolve().parent.parent


class _Timeout(BaseException):
    pass


class MutantsCheck:
    def __init__(self, names, timeout_s):
        self.names, self.timeout_s, self.verdicts = names, timeout_s, {}

    def run_all(self, items, name):
        """Run the items with mutant ``name`` active; return the first failing test's id, or None."""
        os.environ["MUTANT_UNDER_TEST"] = name
        signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(_Timeout()))
        signal.alarm(self.timeout_s)
        try:
            for item in items:
                if hasattr(item, "_initrequest"):
                    item._initrequest()  # fresh fixtures for this run
                if any(report.failed for report in runtestprotocol(item, log=False, nextitem=None)):
                    return item.nodeid
            return None
        except _Timeout:
            return f"(ran past {self.timeout_s} s)"
        finally:
            signal.alarm(0)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        items = [item for item in session.items if not any(m.name == "skip" for m in item.iter_markers())]
        if (failed := self.run_all(items, "")) is not None:
            raise SystemExit(f"mutants_check: the tests fail on the original code ({failed}); fix them first")
        if self.run_all(items, "fail") is None:
            raise SystemExit("mutants_check: the tests pass even when every mutated function raises: they do not "
                             "import mutants/companion (run from the repository root with python -P)")
        for name in self.names:
            start = time.perf_counter()
            failed = self.run_all(items, name)
            self.verdicts[name] = failed
            print(f"{'killed  ' if failed else 'SURVIVED'} {name}  ({time.perf_counter() - start:.1f} s"
                  f"{', by ' + failed if failed else ''})", flush=True)
        return True


def main(argv):
    if "--" not in argv:
        raise SystemExit(__doc__)
    cut = argv.index("--")
    pytest_args, names = argv[:cut], argv[cut + 1:]
    timeout_s = 120
    if "--timeout" in pytest_args:
        i = pytest_args.index("--timeout")
        timeout_s = int(pytest_args[i + 1])
        del pytest_args[i:i + 2]
    if not names:
        raise SystemExit("mutants_check: name at least one mutant after --")
    if not (ROOT / "mutants" / "companion").is_dir():
        raise SystemExit("mutants_check: no mutants/companion; run `make mutants` first")
    os.chdir(ROOT)  # the tests as they are now in tests/, the package as mutmut mutated it in mutants/
    sys.path.insert(0, str(ROOT / "mutants"))
    plugin = MutantsCheck(names, timeout_s)
    pytest.main(["-q", "-p", "no:cacheprovider", "--no-header", *pytest_args], plugins=[plugin])
    survived = [name for name, failed in plugin.verdicts.items() if failed is None]
    print(f"{len(plugin.verdicts) - len(survived)} of {len(plugin.verdicts)} killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
