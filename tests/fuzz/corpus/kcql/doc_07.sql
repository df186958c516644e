SELECT semver_major('v1.28.3-eks-abc'), semver_minor('v1.28.3-eks-abc'), semver_patch('v1.29.0+k3s1'),
       semver_compare('v1.28.3', '1.28.10'), minor_skew('v1.29.3', 'v1.27.9-eks-5e0fdde')
-- => [[1,28,0,-1,2]]
