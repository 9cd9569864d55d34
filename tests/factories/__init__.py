"""factory_boy factories for every app. Import from here: `from tests.factories import OrderFactory`."""

from .accounts import (  # noqa: F401 — re-exported
    CollegeFactory,
    CommunityFactory,
    DepartmentFactory,
    DistrictFactory,
    GridFactory,
    ResidentFactory,
    RoleAssignmentFactory,
    StaffFactory,
    StreetFactory,
    UserFactory,
)
from .activities import (  # noqa: F401
    AttendanceFactory,
    CourseFactory,
    PolicyTalkFactory,
    RegistrationFactory,
    SessionFactory,
    TermFactory,
    WeeklySlotFactory,
)
from .interests import (  # noqa: F401
    CategoryFactory,
    GroupMembershipFactory,
    InterestGroupFactory,
    OrderFactory,
    ResidentProfileFactory,
)
from .ratings import CollegeStarRecordFactory, SessionRatingFactory  # noqa: F401
from .teachers import TeacherFactory, TeacherSkillFactory  # noqa: F401
from .venues import BookingFactory, FacilityFactory, VenueFactory  # noqa: F401
