from sagemaker_async.cli.main import main

main()
