"""projects/ add components from outside the core: the core never imports them."""
import re
import subprocess
import sys


def test_the_core_never_imports_projects(repo_root):
    importing = [str(path.relative_to(repo_root)) for path in (repo_root / 'vlseg').rglob('*.py')
                 if re.search(r'^\s*(from|import)\s+projects\b', path.read_text(), re.M)]
    assert not importing, f'vlseg imports projects/: {importing}'
    loaded = subprocess.run(
        [sys.executable, '-c', 'import sys, vlseg, vlseg.apis; from vlseg.utils import '
         'register_all_modules; register_all_modules(); '
         'print([m for m in sys.modules if m.split(".")[0] == "projects"])'],
        cwd=repo_root, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == '[]'


def test_no_registered_name_shadows_mmseg_or_mmengine(repo_root):
    """A name registered in vlseg's child registries for another class than mmseg's (or
    mmengine's) registry holds under it would win in scope ``vlseg`` and hide the parent's
    class from every config (the example project's loss was ``TverskyLoss``, mmseg's name)."""
    found = subprocess.run(
        [sys.executable, '-c', '\n'.join([
            'import vlseg, vlseg.registry as R',
            'from vlseg.utils import register_all_modules',
            'register_all_modules()',
            'import projects.example_project.example_project, projects.tganet.tganet',
            'for name in R.__all__:',
            '    registry = getattr(R, name); parent = registry.parent',
            '    while parent is not None:',
            '        for key in sorted(set(registry.module_dict) & set(parent.module_dict)):',
            '            if registry.module_dict[key] is not parent.module_dict[key]:',
            '                print(name, key, parent.scope)',
            '        parent = parent.parent'])],
        cwd=repo_root, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == '', f'registered names that shadow a parent:\n{found.stdout}'
