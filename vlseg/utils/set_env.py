"""One call that registers every vlseg (and mmseg) component."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module that registers components, mmseg's included.

    Args:
        init_default_scope: make ``vlseg`` the current default scope, so
            registries look up ``vlseg`` first and then its mmseg parents.
    """
    import mmseg.datasets  # noqa: F401
    import mmseg.engine  # noqa: F401
    import mmseg.evaluation  # noqa: F401
    import mmseg.models  # noqa: F401
    import mmseg.structures  # noqa: F401
    import mmseg.visualization  # noqa: F401

    import vlseg.datasets  # noqa: F401
    import vlseg.engine  # noqa: F401
    import vlseg.evaluation  # noqa: F401
    import vlseg.models  # noqa: F401

    if not init_default_scope:
        return
    never_created = (DefaultScope.get_current_instance() is None
                     or not DefaultScope.check_instance_created('vlseg'))
    if never_created:
        DefaultScope.get_instance('vlseg', scope_name='vlseg')
        return
    current = DefaultScope.get_current_instance()
    if current.scope_name != 'vlseg':
        warnings.warn(f'The current default scope "{current.scope_name}" is not '
                      '"vlseg"; register_all_modules makes a new "vlseg" scope current.')
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S.%f')
        DefaultScope.get_instance(f'vlseg-{stamp}', scope_name='vlseg')
