# ruff: noqa: E501  (data module: long literal strings read better unwrapped)
"""Static vocabularies of the simulated www.amazon.jobs board.

Everything here is plain data taken from (or modelled on) real search.json captures: the 60
business categories and 57 countries of a real facet response (their counts are the weights), the
real cities, region codes, building codes, company names, job categories and families.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Business categories: facet value -> (weight, text profile, display org name).
# Weights are the counts of a real facet response (2026-07-30, Σ 22,348) except ``aws``, boosted
# so that at the default size it holds more than 10,000 postings: a crawler has to split it.
# ---------------------------------------------------------------------------------------------

AWS_BOOSTED_WEIGHT = 13_400

#: (value, weight, profile, org) — profile selects job-category mix and phrase banks.
BUSINESS_CATEGORIES: tuple[tuple[str, int, str, str], ...] = (
    ("aws", AWS_BOOSTED_WEIGHT, "tech", "Amazon Web Services"),
    ("fulfillment-ops", 1954, "ops", "Amazon Fulfillment"),
    ("fulfillment-and-operations", 1738, "ops", "Amazon Operations"),
    ("alexa-and-amazon-devices", 1523, "devices", "Amazon Devices"),
    ("transportation-and-logistics", 1235, "ops", "Amazon Transportation"),
    ("finance", 769, "finance", "Amazon Finance"),
    ("operations", 732, "ops", "Amazon Operations"),
    ("retail", 684, "retail", "Amazon Stores"),
    ("no-business-category", 546, "general", "Amazon"),
    ("advertising", 540, "general", "Amazon Ads"),
    ("entertainment", 485, "general", "Prime Video & Amazon Studios"),
    ("subsidiaries", 471, "general", "Amazon Subsidiaries"),
    ("pxt", 361, "hr", "People eXperience and Technology"),
    ("amazon-security", 338, "security", "Amazon Security"),
    ("studentprograms", 266, "student", "Amazon Student Programs"),
    ("selling-partner-services", 232, "retail", "Selling Partner Services"),
    ("global-corporate", 217, "corp", "Global Corporate"),
    ("fulfillment-ops-team", 215, "ops", "Amazon Fulfillment"),
    ("amazon-business", 195, "retail", "Amazon Business"),
    ("ecp", 190, "tech", "Emerging Consumer Products"),
    ("international-stores", 148, "retail", "International Stores"),
    ("legal", 141, "legal", "Amazon Legal"),
    ("amazon-customer-service", 138, "cs", "Amazon Customer Service"),
    ("worldwide-grocery-stores", 132, "retail", "Worldwide Grocery Stores"),
    ("amazon-artificial-general-intelligence", 115, "science", "Amazon AGI"),
    ("healthcare", 114, "general", "Amazon Health Services"),
    ("seller-services", 102, "retail", "Seller Services"),
    ("customer-trust-and-partner-support", 82, "cs", "Customer Trust & Partner Support"),
    ("ats", 76, "ops", "Amazon Transportation Services"),
    ("consumerpayments", 73, "general", "Consumer Payments"),
    ("north-america-stores", 72, "retail", "North America Stores"),
    ("consumer_engagement", 71, "retail", "Consumer Engagement"),
    ("fulfillment-technology-and-robotics", 65, "devices", "Amazon Robotics"),
    ("customer-service", 64, "cs", "Amazon Customer Service"),
    ("amazonian-experience-and-tech", 62, "hr", "Amazonian Experience & Technology"),
    ("global-communications-and-community-impact", 61, "corp", "Global Communications"),
    ("transportation-shipping-logistics", 61, "ops", "Amazon Shipping"),
    ("operations-team", 55, "ops", "Amazon Operations"),
    ("business-and-corporate-development", 39, "corp", "Business & Corporate Development"),
    ("amazonfresh", 33, "retail", "Amazon Fresh"),
    ("eu3p_marketplace", 23, "retail", "EU Marketplace"),
    ("public-relations-and-public-policy", 23, "corp", "Public Policy"),
    ("pharmacy", 22, "general", "Amazon Pharmacy"),
    ("amazon-operations", 21, "ops", "Amazon Operations"),
    ("hr", 21, "hr", "Human Resources"),
    ("cx-and-business-trends", 18, "cs", "CX & Business Trends"),
    ("ajgk", 17, "general", "Amazon Japan"),
    ("kindlecontent", 17, "devices", "Kindle Content"),
    ("auta", 15, "general", "Amazon Autos"),
    ("alexa", 10, "devices", "Alexa"),
    ("core-ai", 7, "science", "Core AI"),
    ("consumer-payments", 6, "general", "Consumer Payments"),
    ("amazongo", 5, "retail", "Amazon Go"),
    ("cross-channel-cross-category-marketing", 5, "general", "Cross-Channel Marketing"),
    ("marketplace", 5, "retail", "Marketplace"),
    ("compensation", 2, "hr", "Compensation"),
    ("university", 2, "student", "Amazon University Programs"),
    ("applied", 1, "science", "Applied Science"),
    ("corporate", 1, "corp", "Corporate"),
    ("health-storefront-and-shared-tech", 1, "general", "Health Storefront"),
)

#: Team labels per business category (real ones where known); others get generated labels.
TEAMS: dict[str, tuple[str, ...]] = {
    "aws": (
        "team-aws-cloud-management",
        "team-annapurna-labs",
        "team-aws-sales-marketing-global-services",
        "team-amazon-ec2",
        "team-amazon-s3",
        "team-aws-ai",
        "team-aws-infrastructure-services",
        "team-aws-security",
        "team-aws-database-services",
        "team-aws-professional-services",
        "team-aws-training-certification",
        "team-aws-networking",
    ),
    "fulfillment-ops": ("team-fulfillment-center", "team-sortation-center", "team-amazon-air"),
    "fulfillment-and-operations": (
        "team-last-mile-delivery",
        "team-fulfillment-center",
        "team-amazon-logistics",
        "team-workplace-health-safety",
    ),
    "alexa-and-amazon-devices": (
        "team-alexa",
        "team-devices-services",
        "team-ring",
        "team-kuiper",
        "team-lab126",
        "team-fire-tv",
        "team-kindle",
    ),
    "transportation-and-logistics": ("team-middle-mile", "team-amazon-freight", "team-linehaul"),
    "finance": ("team-finance", "team-accounting", "team-tax", "team-treasury"),
    "operations": ("team-operations", "team-ops-technology-solutions"),
    "retail": ("team-retail", "team-vendor-management", "team-amazon-fashion"),
    "advertising": ("team-amazon-ads", "team-ads-sales", "team-sponsored-products"),
    "entertainment": (
        "team-prime-video",
        "team-amazon-music",
        "team-amazon-mgm-studios",
        "team-twitch",
    ),
    "amazon-security": ("team-amazon-security", "team-loss-prevention", "team-infosec"),
    "pxt": ("team-pxt-central", "team-recruiting", "team-hr-business-partner"),
    "studentprograms": ("team-internships", "team-new-grad"),
    "legal": ("team-legal",),
    "compensation": ("team-hrcompensation",),
    "amazon-artificial-general-intelligence": ("team-agi", "team-agi-foundations"),
}


def teams_for(business_category: str) -> tuple[str, ...]:
    """Team labels of a business category (a generated one for categories without real data)."""
    return TEAMS.get(business_category) or (f"team-{business_category.replace('_', '-')}",)


# ---------------------------------------------------------------------------------------------
# Job categories: display name -> (text group, job families, pay kind, annual base pay band).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobCategory:
    """A job category as shown in ``job_category`` and its related vocabularies."""

    name: str
    group: str  # phrase bank: tech, science, ops, sales, corp, pm, analytics, creative, service
    families: tuple[str, ...]
    hourly: bool
    pay: tuple[int, int]  # (low, high) of the US base pay band; hourly in cents if hourly
    titles: tuple[str, ...]

    @property
    def slug(self) -> str:
        """The ``category[]`` filter value (CMS identifier)."""
        return slugify(self.name)


def slugify(text: str) -> str:
    """URL slug as amazon.jobs builds them (``"Sr. SDE, AWS"`` -> ``"sr-sde-aws"``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


JOB_CATEGORIES: tuple[JobCategory, ...] = (
    JobCategory(
        "Software Development",
        "tech",
        ("Software Development",),
        False,
        (115_000, 223_600),
        (
            "Software Development Engineer",
            "Software Development Engineer II",
            "Senior Software Development Engineer",
            "Sr. Software Development Engineer",
            "Software Development Manager",
            "Principal Software Engineer",
            "Front-End Engineer",
            "Software Dev Engineer",
            "Systems Development Engineer",
            "Data Engineer",
            "Software Development Engineer III",
            "Sr. Software Development Manager",
        ),
    ),
    JobCategory(
        "Fulfillment & Operations Management",
        "ops",
        ("Fulfillment Center", "Operations Management", "Transportation"),
        False,
        (71_300, 136_500),
        (
            "Operations Manager",
            "Area Manager",
            "Senior Operations Manager",
            "Area Manager II",
            "Shift Manager",
            "General Manager",
            "Operations Manager, Last Mile",
            "Regional Operations Manager",
            "Site Leader",
            "Process Assistant",
        ),
    ),
    JobCategory(
        "Solutions Architect",
        "sales",
        ("Solutions Architect",),
        False,
        (128_300, 208_000),
        (
            "Solutions Architect",
            "Senior Solutions Architect",
            "Specialist Solutions Architect",
            "Principal Solutions Architect",
            "Partner Solutions Architect",
            "Startup Solutions Architect",
        ),
    ),
    JobCategory(
        "Data Science",
        "science",
        ("Data Science",),
        False,
        (125_500, 212_800),
        (
            "Data Scientist",
            "Data Scientist II",
            "Senior Data Scientist",
            "Sr. Data Scientist",
        ),
    ),
    JobCategory(
        "Research Science",
        "science",
        ("Research Science",),
        False,
        (136_000, 223_400),
        (
            "Research Scientist",
            "Senior Research Scientist",
            "Research Scientist II",
            "Principal Research Scientist",
        ),
    ),
    JobCategory(
        "Machine Learning Science",
        "science",
        ("Machine Learning Science",),
        False,
        (136_000, 260_000),
        (
            "Applied Scientist",
            "Senior Applied Scientist",
            "Machine Learning Engineer",
            "Sr. Applied Scientist",
            "Applied Scientist II",
            "Machine Learning Scientist",
        ),
    ),
    JobCategory(
        "Applied Science",
        "science",
        ("Applied Science",),
        False,
        (136_000, 223_400),
        (
            "Applied Scientist",
            "Applied Scientist II",
            "Senior Applied Scientist",
        ),
    ),
    JobCategory(
        "Economics",
        "science",
        ("Economics",),
        False,
        (136_000, 223_400),
        (
            "Economist",
            "Senior Economist",
            "Economist II",
        ),
    ),
    JobCategory(
        "Human Resources",
        "corp",
        ("Human Resources",),
        False,
        (76_200, 164_200),
        (
            "HR Business Partner",
            "Senior HR Business Partner",
            "Recruiter",
            "Senior Recruiter",
            "HR Assistant",
            "Talent Acquisition Partner",
            "Employee Relations Manager",
        ),
    ),
    JobCategory(
        "Administrative Support",
        "corp",
        ("Administrative Support",),
        False,
        (51_200, 97_000),
        (
            "Executive Assistant",
            "Administrative Assistant",
            "Senior Executive Assistant",
            "Office Coordinator",
        ),
    ),
    JobCategory(
        "Project/Program/Product Management--Technical",
        "pm",
        ("Technical Program Management", "Product Management--Technical"),
        False,
        (116_600, 201_500),
        (
            "Technical Program Manager",
            "Senior Technical Program Manager",
            "Sr. Product Manager - Technical",
            "Product Manager - Technical",
            "Principal Technical Program Manager",
            "Technical Product Manager",
        ),
    ),
    JobCategory(
        "Project/Program/Product Management--Non-Tech",
        "pm",
        ("Program Management", "Product Management"),
        False,
        (83_500, 173_800),
        (
            "Program Manager",
            "Senior Program Manager",
            "Product Manager",
            "Sr. Product Manager",
            "Program Manager II",
        ),
    ),
    JobCategory(
        "Sales, Advertising, & Account Management",
        "sales",
        ("Sales", "Account Management", "Advertising"),
        False,
        (95_000, 191_200),
        (
            "Account Manager",
            "Senior Account Manager",
            "Account Executive",
            "Enterprise Account Manager",
            "Sales Manager",
            "Business Development Manager",
            "Territory Manager",
            "Customer Solutions Manager",
        ),
    ),
    JobCategory(
        "Business & Merchant Development",
        "sales",
        ("Business Development",),
        False,
        (83_500, 173_800),
        (
            "Business Development Manager",
            "Senior Vendor Manager",
            "Vendor Manager",
            "Category Manager",
            "Merchant Development Manager",
        ),
    ),
    JobCategory(
        "Hardware Development",
        "tech",
        ("Hardware Development",),
        False,
        (129_300, 223_600),
        (
            "Hardware Engineer",
            "Electrical Engineer",
            "Senior Hardware Engineer",
            "ASIC Design Engineer",
            "Design Verification Engineer",
            "Mechanical Engineer",
            "Silicon Validation Engineer",
        ),
    ),
    JobCategory(
        "Operations, IT, & Support Engineering",
        "tech",
        ("Operations, IT, & Support Engineering",),
        False,
        (92_000, 173_200),
        (
            "Support Engineer",
            "Cloud Support Engineer",
            "Systems Engineer",
            "IT Support Engineer",
            "Data Center Technician",
            "Network Development Engineer",
            "Cloud Support Associate",
        ),
    ),
    JobCategory(
        "Systems, Quality, & Security Engineering",
        "tech",
        ("Systems, Quality, & Security Engineering",),
        False,
        (103_000, 199_500),
        (
            "Security Engineer",
            "Quality Assurance Engineer",
            "Systems Engineer",
            "Senior Security Engineer",
            "Software Development Engineer in Test",
            "Safety Engineer",
        ),
    ),
    JobCategory(
        "Database Administration",
        "tech",
        ("Database Administration",),
        False,
        (103_000, 199_500),
        ("Database Engineer", "Database Administrator"),
    ),
    JobCategory(
        "Business Intelligence",
        "analytics",
        ("Business Intelligence",),
        False,
        (92_200, 167_200),
        (
            "Business Intelligence Engineer",
            "Senior Business Intelligence Engineer",
            "Business Analyst",
            "Sr. Business Analyst",
            "Business Intelligence Engineer II",
        ),
    ),
    JobCategory(
        "Finance and Accounting",
        "corp",
        ("Finance", "Accounting", "Tax"),
        False,
        (81_300, 190_700),
        (
            "Financial Analyst",
            "Senior Financial Analyst",
            "Finance Manager",
            "Tax Manager",
            "Accountant",
            "Senior Finance Manager",
            "Accounts Payable Specialist",
        ),
    ),
    JobCategory(
        "Legal",
        "corp",
        ("Legal",),
        False,
        (118_300, 238_900),
        (
            "Corporate Counsel",
            "Senior Corporate Counsel",
            "Paralegal",
            "Legal Counsel",
            "Senior Paralegal",
        ),
    ),
    JobCategory(
        "Marketing & PR",
        "creative",
        ("Marketing", "Public Relations"),
        False,
        (80_000, 164_200),
        (
            "Product Marketing Manager",
            "Marketing Manager",
            "Senior Marketing Manager",
            "Communications Manager",
            "Brand Manager",
            "Field Marketing Manager",
        ),
    ),
    JobCategory(
        "Editorial, Writing, & Content Management",
        "creative",
        ("Editorial",),
        False,
        (69_900, 146_800),
        ("Content Writer", "Technical Writer", "Editor", "Copywriter"),
    ),
    JobCategory(
        "Design",
        "creative",
        ("Design",),
        False,
        (96_400, 186_800),
        (
            "UX Designer",
            "Senior UX Designer",
            "Product Designer",
            "UX Researcher",
            "Visual Designer",
        ),
    ),
    JobCategory(
        "Customer Service",
        "service",
        ("Customer Service",),
        True,
        (1_700, 2_300),
        (
            "Customer Service Associate",
            "Virtual Customer Service Associate",
            "Customer Service Team Lead",
            "Customer Service Specialist",
        ),
    ),
    JobCategory(
        "Supply Chain/Transportation Management",
        "ops",
        ("Supply Chain", "Transportation"),
        False,
        (67_300, 161_300),
        (
            "Supply Chain Manager",
            "Transportation Manager",
            "Logistics Specialist",
            "Senior Supply Chain Manager",
            "Inbound Operations Manager",
            "Capacity Planner",
        ),
    ),
    JobCategory(
        "Fulfillment / Warehouse Associate",
        "service",
        ("Fulfillment Center",),
        True,
        (1_850, 2_400),
        (
            "Fulfillment Associate",
            "Warehouse Associate",
            "Delivery Station Associate",
            "Sortation Associate",
        ),
    ),
    JobCategory(
        "Facilities, Maintenance, & Real Estate",
        "ops",
        ("Facilities",),
        False,
        (72_900, 157_300),
        (
            "Facilities Manager",
            "Reliability Maintenance Engineer",
            "Real Estate Manager",
            "Maintenance Technician",
        ),
    ),
    JobCategory(
        "Buying, Merchandising, & Retail",
        "sales",
        ("Retail",),
        False,
        (80_000, 160_000),
        (
            "Retail Manager",
            "Merchandising Specialist",
            "In-Stock Manager",
            "Senior Buyer",
        ),
    ),
)

JOB_CATEGORY_BY_NAME: dict[str, JobCategory] = {jc.name: jc for jc in JOB_CATEGORIES}

#: Job-category mix per business-category profile (weights).
PROFILE_MIX: dict[str, tuple[tuple[str, int], ...]] = {
    "tech": (
        ("Software Development", 35),
        ("Solutions Architect", 10),
        ("Project/Program/Product Management--Technical", 8),
        ("Operations, IT, & Support Engineering", 6),
        ("Sales, Advertising, & Account Management", 10),
        ("Hardware Development", 3),
        ("Data Science", 3),
        ("Machine Learning Science", 4),
        ("Research Science", 2),
        ("Business Intelligence", 3),
        ("Systems, Quality, & Security Engineering", 4),
        ("Design", 2),
        ("Marketing & PR", 3),
        ("Finance and Accounting", 1),
        ("Human Resources", 1),
        ("Administrative Support", 1),
        ("Applied Science", 3),
        ("Database Administration", 1),
    ),
    "ops": (
        ("Fulfillment & Operations Management", 45),
        ("Supply Chain/Transportation Management", 12),
        ("Fulfillment / Warehouse Associate", 8),
        ("Facilities, Maintenance, & Real Estate", 6),
        ("Project/Program/Product Management--Non-Tech", 6),
        ("Project/Program/Product Management--Technical", 3),
        ("Human Resources", 5),
        ("Finance and Accounting", 2),
        ("Business Intelligence", 4),
        ("Software Development", 3),
        ("Administrative Support", 2),
        ("Systems, Quality, & Security Engineering", 3),
    ),
    "devices": (
        ("Software Development", 30),
        ("Hardware Development", 20),
        ("Project/Program/Product Management--Technical", 10),
        ("Applied Science", 8),
        ("Machine Learning Science", 5),
        ("Design", 5),
        ("Systems, Quality, & Security Engineering", 8),
        ("Research Science", 3),
        ("Marketing & PR", 3),
        ("Sales, Advertising, & Account Management", 2),
        ("Supply Chain/Transportation Management", 3),
        ("Operations, IT, & Support Engineering", 3),
    ),
    "science": (
        ("Machine Learning Science", 35),
        ("Applied Science", 25),
        ("Research Science", 10),
        ("Software Development", 20),
        ("Data Science", 5),
        ("Project/Program/Product Management--Technical", 5),
    ),
    "retail": (
        ("Sales, Advertising, & Account Management", 15),
        ("Business & Merchant Development", 12),
        ("Project/Program/Product Management--Non-Tech", 10),
        ("Software Development", 15),
        ("Business Intelligence", 10),
        ("Marketing & PR", 8),
        ("Buying, Merchandising, & Retail", 10),
        ("Finance and Accounting", 4),
        ("Design", 3),
        ("Data Science", 3),
        ("Project/Program/Product Management--Technical", 6),
        ("Economics", 1),
    ),
    "cs": (
        ("Customer Service", 40),
        ("Project/Program/Product Management--Non-Tech", 10),
        ("Business Intelligence", 10),
        ("Software Development", 10),
        ("Fulfillment & Operations Management", 8),
        ("Operations, IT, & Support Engineering", 8),
        ("Human Resources", 5),
        ("Administrative Support", 4),
    ),
    "student": (
        ("Software Development", 50),
        ("Data Science", 8),
        ("Applied Science", 8),
        ("Finance and Accounting", 5),
        ("Project/Program/Product Management--Technical", 5),
        ("Hardware Development", 3),
        ("Business Intelligence", 5),
        ("Sales, Advertising, & Account Management", 4),
        ("Solutions Architect", 5),
        ("Fulfillment & Operations Management", 5),
    ),
    "security": (
        ("Systems, Quality, & Security Engineering", 40),
        ("Software Development", 20),
        ("Project/Program/Product Management--Technical", 10),
        ("Operations, IT, & Support Engineering", 10),
        ("Legal", 5),
        ("Fulfillment & Operations Management", 10),
        ("Business Intelligence", 5),
    ),
    "finance": (
        ("Finance and Accounting", 60),
        ("Business Intelligence", 10),
        ("Software Development", 8),
        ("Project/Program/Product Management--Non-Tech", 8),
        ("Economics", 4),
        ("Administrative Support", 4),
        ("Legal", 2),
        ("Data Science", 4),
    ),
    "legal": (
        ("Legal", 65),
        ("Administrative Support", 10),
        ("Project/Program/Product Management--Non-Tech", 10),
        ("Software Development", 5),
        ("Systems, Quality, & Security Engineering", 5),
        ("Finance and Accounting", 5),
    ),
    "hr": (
        ("Human Resources", 55),
        ("Software Development", 12),
        ("Project/Program/Product Management--Non-Tech", 10),
        ("Business Intelligence", 6),
        ("Project/Program/Product Management--Technical", 5),
        ("Design", 3),
        ("Data Science", 3),
        ("Administrative Support", 6),
    ),
    "corp": (
        ("Finance and Accounting", 15),
        ("Human Resources", 10),
        ("Legal", 10),
        ("Administrative Support", 10),
        ("Project/Program/Product Management--Non-Tech", 12),
        ("Marketing & PR", 18),
        ("Business Intelligence", 6),
        ("Software Development", 6),
        ("Economics", 3),
        ("Editorial, Writing, & Content Management", 5),
        ("Business & Merchant Development", 5),
    ),
    "general": (
        ("Software Development", 25),
        ("Sales, Advertising, & Account Management", 15),
        ("Marketing & PR", 10),
        ("Project/Program/Product Management--Technical", 8),
        ("Project/Program/Product Management--Non-Tech", 8),
        ("Business Intelligence", 6),
        ("Data Science", 4),
        ("Design", 4),
        ("Finance and Accounting", 4),
        ("Applied Science", 3),
        ("Editorial, Writing, & Content Management", 3),
        ("Human Resources", 2),
        ("Administrative Support", 2),
        ("Legal", 1),
        ("Business & Merchant Development", 5),
        ("Machine Learning Science", 2),
    ),
}

#: Products / programs a profile's texts can mention.
PRODUCTS: dict[str, tuple[str, ...]] = {
    "tech": (
        "Amazon EC2",
        "Amazon S3",
        "AWS Lambda",
        "Amazon SageMaker",
        "Amazon Bedrock",
        "Amazon DynamoDB",
        "AWS Identity and Access Management",
        "Amazon VPC",
        "Amazon Redshift",
        "AWS Trainium",
        "Amazon CloudWatch",
        "AWS Marketplace",
    ),
    "ops": (
        "Amazon Logistics",
        "our delivery stations",
        "our fulfillment centers",
        "Amazon Air",
        "our sortation centers",
        "Amazon Freight",
    ),
    "devices": (
        "Alexa",
        "Echo devices",
        "Fire TV",
        "Kindle",
        "Ring",
        "Project Kuiper",
        "Amazon Robotics",
        "Eero",
    ),
    "science": (
        "Amazon Nova",
        "large language models",
        "Alexa AI",
        "foundation models",
        "Amazon Bedrock",
    ),
    "retail": (
        "Amazon.com",
        "Prime",
        "Amazon Fresh",
        "Whole Foods Market",
        "Amazon Business",
        "Seller Central",
        "Vendor Central",
    ),
    "cs": (
        "our customer service network",
        "Amazon Customer Service",
        "Seller Support",
        "our contact centers",
    ),
    "student": ("Amazon internships", "our new graduate program", "Amazon Future Engineer"),
    "security": (
        "Amazon Security",
        "our loss prevention programs",
        "our global security operations",
    ),
    "finance": ("Amazon Finance", "our Tax team", "our Treasury team", "FP&A"),
    "legal": ("Amazon Legal", "our litigation group", "regulatory matters"),
    "hr": ("PXT", "our talent programs", "our recruiting organization", "our benefits programs"),
    "corp": ("our corporate teams", "Amazon's public policy work", "our communications team"),
    "general": (
        "Prime Video",
        "Amazon Ads",
        "Amazon Music",
        "Twitch",
        "Audible",
        "Amazon Pharmacy",
        "One Medical",
        "Zappos",
    ),
}

# ---------------------------------------------------------------------------------------------
# Countries (alpha-3 -> data) with the counts of a real facet response as weights.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class City:
    """A real location as it appears in a ``locations`` entry."""

    name: str
    region: str | None  # region code in ``location`` / ``state``; None: two-part location
    region_name: str | None  # normalizedStateName
    county: str | None
    coordinates: str  # "lat,lng"
    buildings: tuple[str, ...]
    weight: int


@dataclass(frozen=True, slots=True)
class Country:
    """A country of the board."""

    alpha3: str
    alpha2: str
    name: str  # normalizedCountryName
    weight: int
    cities: tuple[City, ...]
    companies: tuple[str, ...]


def _c(
    name: str,
    region: str | None,
    region_name: str | None,
    county: str | None,
    coords: str,
    buildings: str,
    weight: int = 1,
) -> City:
    return City(name, region, region_name, county, coords, tuple(buildings.split()), weight)


COUNTRIES: tuple[Country, ...] = (
    Country(
        "USA",
        "US",
        "United States",
        12647,
        (
            _c(
                "Seattle",
                "WA",
                "Washington",
                "King",
                "47.60621,-122.33207",
                "SEA40 SEA54 SEA93",
                30,
            ),
            _c("Bellevue", "WA", "Washington", "King", "47.61038,-122.20068", "BLV12 BLV18", 10),
            _c("Redmond", "WA", "Washington", "King", "47.67399,-122.12151", "RDM11", 2),
            _c("Kent", "WA", "Washington", "King", "47.38093,-122.23484", "BFI4", 2),
            _c(
                "Arlington",
                "VA",
                "Virginia",
                "Arlington",
                "38.88101,-77.10428",
                "HQ2-MET HQ2-PEN",
                9,
            ),
            _c("Herndon", "VA", "Virginia", "Fairfax", "38.96955,-77.3861", "IAD19 IAD66", 4),
            _c("Austin", "TX", "Texas", "Travis", "30.26759,-97.74299", "AUS16 AUS12", 6),
            _c("Dallas", "TX", "Texas", "Dallas", "32.77666,-96.79699", "DFW7 DAL21", 3),
            _c("Houston", "TX", "Texas", "Harris", "29.76043,-95.3698", "HOU2", 2),
            _c(
                "Sunnyvale",
                "CA",
                "California",
                "Santa Clara",
                "37.36883,-122.03635",
                "SJC11 SJC22",
                5,
            ),
            _c("Santa Clara", "CA", "California", "Santa Clara", "37.35411,-121.95524", "SJC27", 2),
            _c(
                "San Francisco",
                "CA",
                "California",
                "San Francisco",
                "37.77493,-122.41942",
                "SFO12",
                3,
            ),
            _c("Palo Alto", "CA", "California", "Santa Clara", "37.44188,-122.14302", "PAO12", 2),
            _c("Cupertino", "CA", "California", "Santa Clara", "37.323,-122.03218", "SJC31", 2),
            _c("Culver City", "CA", "California", "Los Angeles", "34.02112,-118.39647", "LAX21", 2),
            _c("Irvine", "CA", "California", "Orange", "33.68457,-117.8265", "SNA14", 1),
            _c("San Diego", "CA", "California", "San Diego", "32.71571,-117.16472", "SAN20", 2),
            _c("New York", "NY", "New York", "New York", "40.71278,-74.00594", "NYC15 NYC25", 5),
            _c("Boston", "MA", "Massachusetts", "Suffolk", "42.36008,-71.05888", "BOS27", 3),
            _c("Cambridge", "MA", "Massachusetts", "Middlesex", "42.37362,-71.10973", "BOS12", 1),
            _c("Nashville", "TN", "Tennessee", "Davidson", "36.16266,-86.7816", "BNA14", 3),
            _c("Durham", "NC", "North Carolina", "Durham", "35.99544,-78.8965", "DRT8", 1),
            _c("Atlanta", "GA", "Georgia", "Fulton", "33.749,-84.38798", "ATL56", 2),
            _c("Denver", "CO", "Colorado", "Denver", "39.73924,-104.99025", "DEN20", 1),
            _c("Chicago", "IL", "Illinois", "Cook", "41.87811,-87.6298", "ORD14", 2),
            _c("Phoenix", "AZ", "Arizona", "Maricopa", "33.44838,-112.07404", "PHX7", 2),
            _c("Tempe", "AZ", "Arizona", "Maricopa", "33.42551,-111.94001", "PHX63", 1),
            _c("Minneapolis", "MN", "Minnesota", "Hennepin", "44.97775,-93.26501", "MSP7", 1),
            _c("Pittsburgh", "PA", "Pennsylvania", "Allegheny", "40.44062,-79.99589", "PIT11", 1),
            _c("Detroit", "MI", "Michigan", "Wayne", "42.33143,-83.04575", "DTW1", 1),
            _c("Jersey City", "NJ", "New Jersey", "Hudson", "40.72816,-74.07764", "EWR20", 1),
            _c("Robbinsville", "NJ", "New Jersey", "Mercer", "40.21705,-74.59182", "EWR4", 1),
            _c("Columbus", "OH", "Ohio", "Franklin", "39.96118,-82.99879", "CMH4", 1),
            _c("Portland", "OR", "Oregon", "Multnomah", "45.51523,-122.67838", "PDX9", 1),
            _c("Salt Lake City", "UT", "Utah", "Salt Lake", "40.76078,-111.89105", "SLC1", 1),
            _c("Miami", "FL", "Florida", "Miami-Dade", "25.76168,-80.19179", "MIA1", 1),
            _c("Orlando", "FL", "Florida", "Orange", "28.53834,-81.37924", "MCO1", 1),
            _c("Baltimore", "MD", "Maryland", "Baltimore City", "39.29038,-76.61219", "BWI2", 1),
            _c("Louisville", "KY", "Kentucky", "Jefferson", "38.25266,-85.75846", "SDF8", 1),
            _c("Indianapolis", "IN", "Indiana", "Marion", "39.76838,-86.15804", "IND9", 1),
        ),
        (
            "Amazon.com Services LLC",
            "Amazon Web Services, Inc.",
            "Annapurna Labs (U.S.) Inc.",
            "Amazon Data Services, Inc.",
            "Amazon Development Center U.S., Inc.",
            "Amazon Logistics, Inc.",
            "Amazon Advertising LLC",
        ),
    ),
    Country(
        "IND",
        "IN",
        "India",
        2590,
        (
            _c(
                "Bengaluru",
                "KA",
                "Karnataka",
                "Bangalore Urban",
                "12.97194,77.59369",
                "BLR13 BLR14",
                8,
            ),
            _c("Hyderabad", "TS", "Telangana", "Hyderabad", "17.38504,78.48667", "HYD13 HYD21", 7),
            _c("Chennai", "TN", "Tamil Nadu", "Chennai", "13.08268,80.27072", "MAA15", 3),
            _c("Pune", "MH", "Maharashtra", "Pune", "18.52043,73.85674", "PNQ1", 2),
            _c("Mumbai", "MH", "Maharashtra", "Mumbai Suburban", "19.07598,72.87766", "BOM7", 2),
            _c("Gurugram", "HR", "Haryana", "Gurgaon", "28.4595,77.02664", "DEL5", 2),
            _c("Delhi", "DL", "Delhi", "New Delhi", "28.61394,77.20902", "DEL2", 1),
            _c(
                "Noida", "UP", "Uttar Pradesh", "Gautam Buddh Nagar", "28.53551,77.39102", "DEL9", 1
            ),
        ),
        (
            "ADCI - Karnataka",
            "ADCI - Tamil Nadu",
            "Amazon Dev Center India - Hyderabad",
            "ADCI HYD 13 SEZ",
            "Amazon Data Services India Private Limited",
            "Amazon Seller Services Private Limited",
        ),
    ),
    Country(
        "JPN",
        "JP",
        "Japan",
        1023,
        (
            _c("Tokyo", "13", "Tokyo", None, "35.6895,139.69171", "NRT50 NRT53", 8),
            _c("Osaka", "27", "Osaka", None, "34.69374,135.50218", "KIX10", 1),
            _c("Kawasaki", "14", "Kanagawa", None, "35.53087,139.70302", "HND3", 1),
            _c("Ichikawa", "12", "Chiba", None, "35.72161,139.93096", "NRT1", 1),
        ),
        ("Amazon Japan G.K.", "Amazon Web Services Japan G.K."),
    ),
    Country(
        "GBR",
        "GB",
        "United Kingdom",
        876,
        (
            _c("London", "LND", "London", "Greater London", "51.50735,-0.12776", "LHR14 LHR16", 8),
            _c(
                "Manchester",
                "MAN",
                "Manchester",
                "Greater Manchester",
                "53.48076,-2.24263",
                "MAN2",
                1,
            ),
            _c("Edinburgh", "EDH", "Edinburgh", None, "55.95325,-3.18827", "EDI1", 1),
            _c(
                "Cambridge",
                "CAM",
                "Cambridgeshire",
                "Cambridgeshire",
                "52.20534,0.12182",
                "CBG1",
                1,
            ),
            _c(
                "Dunstable",
                "CBF",
                "Central Bedfordshire",
                "Central Bedfordshire",
                "51.88592,-0.5209",
                "LTN4",
                1,
            ),
        ),
        (
            "Amazon UK Services Ltd.",
            "Amazon Web Services EMEA SARL, UK Branch",
            "Amazon Development Centre (London) Limited",
        ),
    ),
    Country(
        "DEU",
        "DE",
        "Germany",
        652,
        (
            _c("Berlin", "BE", "Berlin", None, "52.52001,13.40495", "BER12", 5),
            _c("Munich", "BY", "Bavaria", None, "48.13513,11.58198", "MUC10", 4),
            _c("Aachen", "NW", "North Rhine-Westphalia", None, "50.77535,6.08388", "CGN13", 1),
            _c("Dresden", "SN", "Saxony", None, "51.05041,13.73726", "DRS1", 1),
            _c("Tübingen", "BW", "Baden-Württemberg", None, "48.52156,9.05762", "STR5", 1),
            _c("Hamburg", "HH", "Hamburg", None, "53.55108,9.99368", "HAM2", 1),
        ),
        (
            "Amazon Development Center Germany GmbH",
            "Amazon Deutschland Services GmbH",
            "AWS EMEA SARL (Germany Branch)",
        ),
    ),
    Country(
        "BRA",
        "BR",
        "Brazil",
        526,
        (
            _c("Sao Paulo", "SP", "São Paulo", None, "-23.55052,-46.63331", "GRU5", 6),
            _c("Cajamar", "SP", "São Paulo", None, "-23.35608,-46.87693", "GRU8", 1),
            _c("Rio de Janeiro", "RJ", "Rio de Janeiro", None, "-22.90685,-43.17290", "GIG1", 1),
            _c("Curitiba", "PR", "Paraná", None, "-25.42836,-49.27325", "CWB1", 1),
        ),
        ("Amazon Servicos de Varejo do Brasil Ltda.", "Amazon AWS Servicos Brasil Ltda."),
    ),
    Country(
        "AUS",
        "AU",
        "Australia",
        502,
        (
            _c("Sydney", "NSW", "New South Wales", None, "-33.86882,151.20929", "SYD12", 5),
            _c("Melbourne", "VIC", "Victoria", None, "-37.81363,144.96306", "MEL1", 3),
            _c("Brisbane", "QLD", "Queensland", None, "-27.46977,153.02513", "BNE1", 1),
            _c("Perth", "WA", "Western Australia", None, "-31.95053,115.86046", "PER2", 1),
        ),
        ("Amazon Commercial Services Pty Ltd", "Amazon Web Services Australia Pty Ltd"),
    ),
    Country(
        "CAN",
        "CA",
        "Canada",
        369,
        (
            _c("Toronto", "ON", "Ontario", None, "43.65323,-79.38318", "YYZ14", 5),
            _c("Vancouver", "BC", "British Columbia", None, "49.28273,-123.12074", "YVR20", 4),
            _c("Montreal", "QC", "Quebec", None, "45.50169,-73.56726", "YUL2", 1),
            _c("Calgary", "AB", "Alberta", None, "51.04473,-114.07188", "YYC1", 1),
            _c("Ottawa", "ON", "Ontario", None, "45.42153,-75.69719", "YOW1", 1),
        ),
        (
            "Amazon Canada Fulfillment Services, ULC",
            "Amazon Development Centre Canada ULC",
            "Amazon Web Services Canada, Inc.",
        ),
    ),
    Country(
        "MEX",
        "MX",
        "Mexico",
        359,
        (
            _c("Mexico City", "CMX", "Ciudad de México", None, "19.43261,-99.13321", "MEX5", 4),
            _c("Guadalajara", "JAL", "Jalisco", None, "20.65970,-103.34961", "GDL1", 1),
            _c("Monterrey", "NLE", "Nuevo León", None, "25.68661,-100.31611", "MTY1", 1),
        ),
        ("Servicios Comerciales Amazon Mexico S. de R.L. de C.V.",),
    ),
    Country(
        "CHN",
        "CN",
        "China",
        337,
        (
            _c("Beijing", "BJ", "Beijing", None, "39.90421,116.40739", "PEK2", 3),
            _c("Shanghai", "SH", "Shanghai", None, "31.23041,121.47370", "PVG3", 3),
            _c("Shenzhen", "GD", "Guangdong", None, "22.54310,114.05787", "SZX1", 2),
        ),
        (
            "Amazon Connect Technology Services (Beijing) Co., Ltd.",
            "Amazon Web Services (Beijing) Co., Ltd.",
        ),
    ),
    Country(
        "FRA",
        "FR",
        "France",
        289,
        (
            _c("Paris", "IDF", "Île-de-France", None, "48.85661,2.35222", "PAR12", 4),
            _c("Clichy", "IDF", "Île-de-France", None, "48.90430,2.30590", "PAR8", 2),
            _c("Lyon", "ARA", "Auvergne-Rhône-Alpes", None, "45.76404,4.83566", "LYS1", 1),
            _c("Lauwin-Planque", "HDF", "Hauts-de-France", None, "50.39226,3.04484", "LIL1", 1),
        ),
        ("Amazon France Services SAS", "Amazon Web Services France SAS"),
    ),
    Country(
        "ESP",
        "ES",
        "Spain",
        277,
        (
            _c("Madrid", "M", "Madrid", None, "40.41678,-3.70379", "MAD4", 4),
            _c("Barcelona", "B", "Barcelona", None, "41.38506,2.17340", "BCN1", 2),
            _c("San Fernando de Henares", "M", "Madrid", None, "40.42386,-3.53261", "MAD6", 1),
        ),
        ("Amazon Spain Services, S.L.U.", "Amazon Web Services Spain, S.L."),
    ),
    Country(
        "IRL",
        "IE",
        "Ireland",
        203,
        (
            _c("Dublin", "D", "Dublin", "Dublin", "53.34981,-6.26031", "DUB4 DUB11", 5),
            _c("Cork", "CO", "Cork", "Cork", "51.89851,-8.47561", "ORK1", 1),
        ),
        ("Amazon Data Services Ireland Limited", "Amazon Development Centre Ireland Ltd"),
    ),
    Country(
        "ITA",
        "IT",
        "Italy",
        163,
        (
            _c("Milan", None, None, None, "45.46427,9.18951", "MXP5", 4),
            _c("Turin", None, None, None, "45.07049,7.68682", "TRN1", 2),
            _c("Rome", None, None, None, "41.90278,12.49636", "FCO1", 1),
        ),
        ("Amazon Italia Services S.r.l.", "Amazon Italia Logistica S.r.l."),
    ),
    Country(
        "SGP",
        "SG",
        "Singapore",
        153,
        (_c("Singapore", None, None, None, "1.35208,103.81984", "SIN12", 1),),
        (
            "Amazon Asia-Pacific Resources Private Limited",
            "Amazon Web Services Singapore Private Limited",
        ),
    ),
    Country(
        "ISR",
        "IL",
        "Israel",
        147,
        (
            _c("Tel Aviv", "TA", "Tel Aviv", None, "32.08530,34.78177", "TLV3", 3),
            _c("Haifa", "HA", "Haifa", None, "32.79405,34.98957", "HFA1", 2),
        ),
        ("Amazon Development Center (Israel) Ltd.", "Annapurna Labs Ltd."),
    ),
    Country(
        "KOR",
        "KR",
        "South Korea",
        101,
        (_c("Seoul", "11", "Seoul", None, "37.56654,126.97797", "ICN1", 1),),
        ("Amazon Web Services Korea LLC",),
    ),
    Country(
        "POL",
        "PL",
        "Poland",
        94,
        (
            _c("Gdansk", "PM", "Pomerania", None, "54.35202,18.64664", "GDN1", 2),
            _c("Warsaw", "MZ", "Masovia", None, "52.22968,21.01223", "WAW5", 2),
            _c("Wroclaw", "DS", "Lower Silesia", None, "51.10789,17.03854", "WRO2", 1),
        ),
        ("Amazon Development Center (Poland) Sp. z o.o.", "Amazon Fulfillment Poland sp. z o.o."),
    ),
    Country(
        "LUX",
        "LU",
        "Luxembourg",
        89,
        (_c("Luxembourg", None, None, None, "49.61162,6.13193", "LUX12", 1),),
        ("Amazon EU SARL", "Amazon Web Services EMEA SARL"),
    ),
    Country(
        "TWN",
        "TW",
        "Taiwan",
        87,
        (_c("Taipei", "TPE", "Taipei", None, "25.03297,121.56542", "TPE1", 1),),
        ("Amazon Web Services Taiwan Limited",),
    ),
    Country(
        "EGY",
        "EG",
        "Egypt",
        79,
        (_c("Cairo", "C", "Cairo", None, "30.04442,31.23571", "CAI5", 1),),
        ("Amazon Egypt LLC",),
    ),
    Country(
        "CRI",
        "CR",
        "Costa Rica",
        73,
        (
            _c("San Jose", "SJ", "San José", None, "9.92807,-84.09072", "SJO2", 2),
            _c("Heredia", "H", "Heredia", None, "9.99807,-84.11702", "SJO10", 1),
        ),
        ("Amazon Support Services Costa Rica SRL",),
    ),
    Country(
        "ARE",
        "AE",
        "United Arab Emirates",
        71,
        (
            _c("Dubai", "DU", "Dubai", None, "25.20485,55.27078", "DXB3", 3),
            _c("Abu Dhabi", "AZ", "Abu Dhabi", None, "24.45388,54.37734", "AUH1", 1),
        ),
        ("Amazon Web Services Middle East FZ-LLC", "Amazon MENA"),
    ),
    Country(
        "ZAF",
        "ZA",
        "South Africa",
        71,
        (
            _c("Cape Town", "WC", "Western Cape", None, "-33.92487,18.42406", "CPT4", 3),
            _c("Johannesburg", "GP", "Gauteng", None, "-26.20410,28.04731", "JNB1", 1),
        ),
        ("Amazon Development Centre South Africa (Pty) Ltd",),
    ),
    Country(
        "SAU",
        "SA",
        "Saudi Arabia",
        69,
        (
            _c("Riyadh", "01", "Riyadh", None, "24.71355,46.67530", "RUH1", 2),
            _c("Jeddah", "02", "Makkah", None, "21.48581,39.19251", "JED1", 1),
        ),
        ("Amazon Saudi Arabia Ltd.",),
    ),
    Country(
        "SWE",
        "SE",
        "Sweden",
        47,
        (_c("Stockholm", "AB", "Stockholm", None, "59.32932,18.06858", "ARN1", 1),),
        ("Amazon Web Services Sweden AB",),
    ),
    Country(
        "CZE",
        "CZ",
        "Czechia",
        33,
        (_c("Prague", "10", "Prague", None, "50.07554,14.43780", "PRG2", 1),),
        ("Amazon Czech Republic Services s.r.o.",),
    ),
    Country(
        "PHL",
        "PH",
        "Philippines",
        33,
        (_c("Taguig", "00", "Metro Manila", None, "14.51762,121.05086", "MNL1", 1),),
        ("Amazon Web Services Philippines, Inc.",),
    ),
    Country(
        "THA",
        "TH",
        "Thailand",
        32,
        (_c("Bangkok", "10", "Bangkok", None, "13.75633,100.50177", "BKK1", 1),),
        ("Amazon Web Services (Thailand) Limited",),
    ),
    Country(
        "VNM",
        "VN",
        "Vietnam",
        32,
        (
            _c("Ho Chi Minh City", "SG", "Ho Chi Minh", None, "10.82302,106.62966", "SGN1", 2),
            _c("Hanoi", "HN", "Hanoi", None, "21.02776,105.83416", "HAN1", 1),
        ),
        ("Amazon Web Services Vietnam Company Limited",),
    ),
    Country(
        "HKG",
        "HK",
        "Hong Kong",
        31,
        (_c("Hong Kong", None, None, None, "22.31930,114.16936", "HKG1", 1),),
        ("Amazon Web Services Hong Kong Limited",),
    ),
    Country(
        "NLD",
        "NL",
        "Netherlands",
        31,
        (_c("Amsterdam", "NH", "North Holland", None, "52.36757,4.90413", "AMS10", 1),),
        ("Amazon Web Services EMEA SARL, Netherlands Branch",),
    ),
    Country(
        "SVK",
        "SK",
        "Slovakia",
        26,
        (_c("Bratislava", "BL", "Bratislava", None, "48.14816,17.10674", "BTS1", 1),),
        ("Amazon Slovakia s.r.o.",),
    ),
    Country(
        "MYS",
        "MY",
        "Malaysia",
        24,
        (_c("Kuala Lumpur", "14", "Kuala Lumpur", None, "3.13900,101.68685", "KUL1", 1),),
        ("Amazon Web Services Malaysia Sdn. Bhd.",),
    ),
    Country(
        "CHE",
        "CH",
        "Switzerland",
        23,
        (_c("Zurich", "ZH", "Zurich", None, "47.37689,8.54169", "ZRH2", 1),),
        ("Amazon Development Center Switzerland GmbH",),
    ),
    Country(
        "COL",
        "CO",
        "Colombia",
        20,
        (_c("Bogota", "DC", "Bogotá", None, "4.71099,-74.07209", "BOG1", 1),),
        ("Amazon Development Center Colombia S.A.S.",),
    ),
    Country(
        "ROU",
        "RO",
        "Romania",
        20,
        (
            _c("Iasi", "IS", "Iasi", None, "47.15845,27.60144", "IAS1", 2),
            _c("Bucharest", "B", "Bucharest", None, "44.42676,26.10254", "OTP1", 1),
        ),
        ("Amazon Development Center Romania SRL",),
    ),
    Country(
        "CHL",
        "CL",
        "Chile",
        19,
        (_c("Santiago", "RM", "Santiago Metropolitan", None, "-33.44889,-70.66927", "SCL1", 1),),
        ("Amazon Web Services Chile Limitada",),
    ),
    Country(
        "ARG",
        "AR",
        "Argentina",
        18,
        (_c("Buenos Aires", "C", "Buenos Aires", None, "-34.60372,-58.38159", "EZE1", 1),),
        ("Amazon Web Services Argentina S.R.L.",),
    ),
    Country(
        "AUT",
        "AT",
        "Austria",
        16,
        (_c("Vienna", "9", "Vienna", None, "48.20817,16.37382", "VIE2", 1),),
        ("Amazon Data Services Austria GmbH",),
    ),
    Country(
        "BEL",
        "BE",
        "Belgium",
        15,
        (_c("Brussels", "BRU", "Brussels", None, "50.85034,4.35171", "BRU1", 1),),
        ("Amazon Web Services EMEA SARL, Belgian Branch",),
    ),
    Country(
        "IDN",
        "ID",
        "Indonesia",
        15,
        (_c("Jakarta", "JK", "Jakarta", None, "-6.20876,106.84560", "CGK1", 1),),
        ("PT Amazon Web Services Indonesia",),
    ),
    Country(
        "NZL",
        "NZ",
        "New Zealand",
        15,
        (_c("Auckland", "AUK", "Auckland", None, "-36.84846,174.76334", "AKL1", 1),),
        ("Amazon Web Services New Zealand Limited",),
    ),
    Country(
        "TUR",
        "TR",
        "Turkey",
        15,
        (_c("Istanbul", "34", "Istanbul", None, "41.00824,28.97836", "IST2", 1),),
        ("Amazon Turkey Perakende Hizmetleri Limited Sirketi",),
    ),
    Country(
        "NOR",
        "NO",
        "Norway",
        6,
        (_c("Oslo", "03", "Oslo", None, "59.91387,10.75225", "OSL1", 1),),
        ("Amazon Web Services Norway AS",),
    ),
    Country(
        "FIN",
        "FI",
        "Finland",
        5,
        (_c("Helsinki", "18", "Uusimaa", None, "60.16986,24.93838", "HEL1", 1),),
        ("Amazon Web Services Finland Oy",),
    ),
    Country(
        "GRC",
        "GR",
        "Greece",
        4,
        (_c("Athens", "I", "Attica", None, "37.98381,23.72754", "ATH1", 1),),
        ("Amazon Web Services Greece",),
    ),
    Country(
        "JOR",
        "JO",
        "Jordan",
        4,
        (_c("Amman", "AM", "Amman", None, "31.95390,35.91064", "AMM1", 1),),
        ("Amazon Jordan",),
    ),
    Country(
        "MAR",
        "MA",
        "Morocco",
        4,
        (_c("Casablanca", "06", "Casablanca-Settat", None, "33.57311,-7.58984", "CMN1", 1),),
        ("Amazon Morocco SARL",),
    ),
    Country(
        "PRT",
        "PT",
        "Portugal",
        4,
        (_c("Lisbon", "11", "Lisbon", None, "38.72225,-9.13934", "LIS1", 1),),
        ("Amazon Web Services Portugal, Lda.",),
    ),
    Country(
        "DNK",
        "DK",
        "Denmark",
        3,
        (_c("Copenhagen", "84", "Capital Region", None, "55.67610,12.56834", "CPH1", 1),),
        ("Amazon Web Services Denmark ApS",),
    ),
    Country(
        "HUN",
        "HU",
        "Hungary",
        1,
        (_c("Budapest", "BU", "Budapest", None, "47.49791,19.04023", "BUD1", 1),),
        ("Amazon Web Services Hungary Kft.",),
    ),
    Country(
        "KWT",
        "KW",
        "Kuwait",
        1,
        (_c("Kuwait City", "KU", "Al Asimah", None, "29.37589,47.97740", "KWI1", 1),),
        ("Amazon Kuwait",),
    ),
    Country(
        "MUS",
        "MU",
        "Mauritius",
        1,
        (_c("Port Louis", "PL", "Port Louis", None, "-20.16088,57.50122", "MRU1", 1),),
        ("Amazon Mauritius",),
    ),
    Country(
        "NGA",
        "NG",
        "Nigeria",
        1,
        (_c("Lagos", "LA", "Lagos", None, "6.52438,3.37921", "LOS1", 1),),
        ("Amazon Web Services Nigeria Limited",),
    ),
    Country(
        "PER",
        "PE",
        "Peru",
        1,
        (_c("Lima", "LMA", "Lima", None, "-12.04637,-77.04279", "LIM1", 1),),
        ("Amazon Web Services Peru S.R.L.",),
    ),
    Country(
        "PRI",
        "PR",
        "Puerto Rico",
        1,
        (_c("San Juan", None, None, None, "18.46633,-66.10572", "SJU1", 1),),
        ("Amazon.com Services LLC",),
    ),
)

COUNTRY_BY_ALPHA3: dict[str, Country] = {c.alpha3: c for c in COUNTRIES}

#: Virtual-location forms per country: (location string, city, region code, region name).
#: Real strings from the site's ``work_from_home_cms`` list, with its 2- vs 3-letter mixture.
VIRTUAL_FORMS: dict[str, tuple[tuple[str, str, str | None, str | None], ...]] = {
    "USA": (
        ("US, Virtual", "Virtual", None, None),
        ("USA, Virtual", "Virtual", None, None),
        (
            "US, CA, Virtual Location - California",
            "Virtual Location - California",
            "CA",
            "California",
        ),
        (
            "US, WA, Virtual Location - Washington",
            "Virtual Location - Washington",
            "WA",
            "Washington",
        ),
        ("US, AZ, Virtual Location - Arizona", "Virtual Location - Arizona", "AZ", "Arizona"),
        ("US, TX, Virtual Location - Texas", "Virtual Location - Texas", "TX", "Texas"),
    ),
    "GBR": (("GB, Virtual Location - UK", "Virtual Location - UK", None, None),),
    "JPN": (("JPN, Virtual", "Virtual", None, None),),
    "DEU": (("DEU, Virtual", "Virtual", None, None),),
    "ITA": (("IT, Virtual Location - Italy", "Virtual Location - Italy", None, None),),
    "IND": (("IN, Virtual", "Virtual", None, None),),
    "CAN": (("CA, Virtual", "Virtual", None, None),),
}

#: ``job_schedule_type`` values and weights.
SCHEDULE_TYPES: tuple[tuple[str, int], ...] = (
    ("full-time", 96),
    ("part-time", 3),
    ("flex-time", 1),
)

# ---------------------------------------------------------------------------------------------
# Boilerplate copied from real postings (sample responses).
# ---------------------------------------------------------------------------------------------

EEO_US = (
    "Amazon is an equal opportunity employer and does not discriminate on the basis of protected "
    "veteran status, disability, or other legally protected status."
)
EEO_INTL = (
    "Amazon is an equal opportunities employer. We believe passionately that employing a diverse "
    "workforce is central to our success. We make recruiting decisions based on your experience "
    "and skills. We value your passion to discover, invent, simplify and build. Protecting your "
    "privacy and the security of your data is a longstanding top priority for Amazon. Please "
    "consult our Privacy Notice (https://www.amazon.jobs/en/privacy_page) to know more about how "
    "we collect, use and transfer the personal data of our candidates."
)
ACCOMMODATIONS = (
    "Our inclusive culture empowers Amazonians to deliver the best results for our customers. If "
    "you have a disability and need a workplace accommodation or adjustment during the application "
    "and hiring process, including support for the interview or onboarding process, please visit "
    '<a href="https://amazon.jobs/content/en/how-we-hire/accommodations">'
    "https://amazon.jobs/content/en/how-we-hire/accommodations</a> for more information. If the "
    "country/region you\u2019re applying in isn\u2019t listed, please contact your Recruiting Partner."
)
_PM = '<span style="color: rgb(35, 47, 62)" class="ProseMirror-FontColor">'
PAY_PARAGRAPH = (
    f"<p>{_PM}The base salary range for this position is listed below. Your Amazon package will "
    "include sign-on payments and restricted stock units (RSUs). Final compensation will be "
    "determined based on factors including experience, qualifications, and location. Amazon also "
    "offers comprehensive benefits including health insurance (medical, dental, vision, "
    "prescription, Basic Life &amp; AD&amp;D insurance and option for Supplemental life plans, EAP, "
    "Mental Health Support, Medical Advice Line, Flexible Spending Accounts, Adoption and Surrogacy "
    "Reimbursement coverage), 401(k) matching, paid time off, and parental leave. Learn more about "
    "our benefits at </span>"
    '<a target="_blank" rel="noopener noreferrer nofollow" href="https://amazon.jobs/en/benefits">'
    f"{_PM}https://amazon.jobs/en/benefits</span></a>{_PM}.</span></p>"
)
PAY_PARAGRAPH_HOURLY = (
    f"<p>{_PM}The hourly pay range for this position is listed below. Final compensation will be "
    "determined based on factors including experience, qualifications, and location. Amazon also "
    "offers comprehensive benefits including health insurance, 401(k) matching, paid time off, and "
    "parental leave. Learn more about our benefits at </span>"
    '<a target="_blank" rel="noopener noreferrer nofollow" href="https://amazon.jobs/en/benefits">'
    f"{_PM}https://amazon.jobs/en/benefits</span></a>{_PM}.</span></p>"
)

#: The 11 locales of the site's locale switcher.
LOCALES: tuple[str, ...] = ("cs", "de", "en", "en-gb", "es", "fr", "it", "jp", "pl", "pt", "zh")

#: The facial-recognition posting that has been open since 2019 (a research anchor).
OLD_FACIAL_POSTED = (2019, 4, 12)
