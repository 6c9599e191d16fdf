from django.urls import path


def crud_urls(route, name, *, list_view, detail_view, edit_view=None, delete_view=None, import_view=None):
    """The standard routes of one model: list (with ?export=csv|xlsx), add, import, detail, edit, delete."""
    urls = [
        path(f"{route}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{route}/<int:pk>/", detail_view.as_view(), name=f"{name}_detail"),
    ]
    if edit_view is not None:
        urls += [
            path(f"{route}/add/", edit_view.as_view(), name=f"{name}_add"),
            path(f"{route}/<int:pk>/edit/", edit_view.as_view(), name=f"{name}_edit"),
        ]
    if delete_view is not None:
        urls.append(path(f"{route}/<int:pk>/delete/", delete_view.as_view(), name=f"{name}_delete"))
    if import_view is not None:
        urls.append(path(f"{route}/import/", import_view.as_view(), name=f"{name}_import"))
    return urls
