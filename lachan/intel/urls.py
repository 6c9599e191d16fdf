from django.urls import path

from lachan.core.urls_helpers import crud_urls

from . import views

app_name = "intel"

urlpatterns = [
    path("imports/upload/", views.FeedImportUploadView.as_view(), name="feedimport_upload"),
    path("cases/<int:pk>/cleaned/", views.CaseCleanedView.as_view(), name="case_cleaned"),
    path("unmapped/", views.UnmappedQueueView.as_view(), name="unmapped_queue"),
    path("trends/", views.TrendsView.as_view(), name="trends"),
    *crud_urls("feeds", "feed", list_view=views.FeedListView, detail_view=views.FeedDetailView,
               edit_view=views.FeedEditView, delete_view=views.FeedDeleteView),
    *crud_urls("imports", "feedimport", list_view=views.FeedImportListView, detail_view=views.FeedImportDetailView),
    *crud_urls("uploads", "feedupload", list_view=views.FeedUploadListView, detail_view=views.FeedUploadDetailView),
    *crud_urls("cases", "case", list_view=views.CaseListView, detail_view=views.CaseDetailView),
    *crud_urls("sightings", "sighting", list_view=views.SightingListView, detail_view=views.SightingDetailView),
    *crud_urls("asns", "asnassignment", list_view=views.AsnAssignmentListView,
               detail_view=views.AsnAssignmentDetailView, edit_view=views.AsnAssignmentEditView,
               delete_view=views.AsnAssignmentDeleteView),
    *crud_urls("indicators", "indicator", list_view=views.IndicatorListView, detail_view=views.IndicatorDetailView),
    *crud_urls("notifications", "notification", list_view=views.NotificationListView,
               detail_view=views.NotificationDetailView),
]
