
old-app


legacy"0.3.0*FapiVersion: extensions/v1beta1
kind: Deployment
metadata:
  name: web
8B	legacy-ns