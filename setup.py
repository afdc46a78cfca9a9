import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/NAME.txt, comments dropped."""
    lines = []
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as file:
        for line in file:
            line = line.split('#', 1)[0].strip()
            if line:
                lines.append(line)
    return lines


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'vlseg', 'version.py')) as file:
        exec(file.read(), scope)
    return scope['__version__']


setup(
    name='vlseg',
    version=read_version(),
    description='Language-guided medical image segmentation on OpenMMLab (mmsegmentation 1.x)',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'projects', 'docs')),
    include_package_data=True,
    install_requires=read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
        'all': read_requirements('tests') + read_requirements('optional'),
    },
    zip_safe=False,
)
